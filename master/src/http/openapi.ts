/**
 * The OpenAPI 3.1 document served at /api/openapi.json. Request and response schemas come from
 * the same zod schemas the API validates with, so the document cannot drift from the code.
 */
import { z } from 'zod';
import * as id from '../../../shared/src/identity.ts';

const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const schemas = {
  Error: ErrorBody,
  RegisterUserRequest: id.RegisterUserRequest,
  UpdateUserRequest: id.UpdateUserRequest,
  LoginRequest: id.LoginRequest,
  AgentLoginRequest: id.AgentLoginRequest,
  User: id.User,
  RegisterAgentRequest: id.RegisterAgentRequest,
  UpdateAgentRequest: id.UpdateAgentRequest,
  Agent: id.Agent,
  RegisteredAgent: id.RegisteredAgent,
  SecuritySettings: id.SecuritySettings,
  WhoAmI: id.WhoAmI,
};

const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof schemas) => ({ content: { 'application/json': { schema: ref(name) } } });
const list = (key: string, name: keyof typeof schemas) => ({
  content: { 'application/json': { schema: { type: 'object', properties: { [key]: { type: 'array', items: ref(name) } } } } },
});
const tokenAnswer = {
  description: 'The token, also in the Authorization header as `Bearer <token>`',
  headers: { Authorization: { schema: { type: 'string' } } },
  content: { 'text/plain': { schema: { type: 'string' } } },
};
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { description: `Error ${c}`, ...json('Error') }]));
const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const anonymous = { security: [] };

const paths = {
  '/healthz': { get: { summary: 'Liveness', ...anonymous, responses: { 200: { description: 'OK' } } } },
  '/login': { post: { summary: 'Log in a person', ...anonymous, requestBody: json('LoginRequest'), responses: { 200: tokenAnswer, ...errors(400, 401, 429) } } },
  '/login-slave': { post: { summary: 'Log in an agent', ...anonymous, requestBody: json('AgentLoginRequest'), responses: { 200: tokenAnswer, ...errors(400, 401, 429) } } },
  '/api/token': { post: { summary: 'Renew a still-valid token (same session)', responses: { 200: tokenAnswer, ...errors(401) } } },
  '/api/whoami': { get: { summary: 'Who the token belongs to', responses: { 200: { description: 'OK', ...json('WhoAmI') }, ...errors(401) } } },
  '/api/users': {
    get: { summary: 'The People list', responses: { 200: { description: 'OK', ...list('users', 'User') }, ...errors(401, 403) } },
    post: {
      summary: 'Register a user (anonymous for the first user, who becomes admin, or with self sign-up)',
      security: [{ bearer: [] }, {}],
      requestBody: json('RegisterUserRequest'),
      responses: { 201: { description: 'Created', ...json('User') }, ...errors(400, 401, 403, 409) },
    },
  },
  '/api/users/{username}': {
    parameters: [pathParam('username')],
    get: { summary: 'One user', responses: { 200: { description: 'OK', ...json('User') }, ...errors(401, 403, 404) } },
    patch: { summary: 'Change a user (self, or admin)', requestBody: json('UpdateUserRequest'), responses: { 200: { description: 'OK', ...json('User') }, ...errors(400, 401, 403, 404, 409) } },
    delete: { summary: 'Delete a user (admin)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409) } },
  },
  '/api/settings/security': {
    get: { summary: 'Security settings (admin)', responses: { 200: { description: 'OK', ...json('SecuritySettings') }, ...errors(401, 403) } },
    put: { summary: 'Change security settings (admin)', requestBody: json('SecuritySettings'), responses: { 200: { description: 'OK', ...json('SecuritySettings') }, ...errors(400, 401, 403) } },
  },
  '/api/agents': {
    get: { summary: 'Agents with their status', responses: { 200: { description: 'OK', ...list('agents', 'Agent') }, ...errors(401, 403) } },
    post: { summary: 'Register an agent (admin); the secret is shown only here', requestBody: json('RegisterAgentRequest'), responses: { 201: { description: 'Created', ...json('RegisteredAgent') }, ...errors(400, 401, 403, 409) } },
  },
  '/api/agents/{name}': {
    parameters: [pathParam('name')],
    get: { summary: 'One agent', responses: { 200: { description: 'OK', ...json('Agent') }, ...errors(401, 403, 404) } },
    patch: { summary: 'Change executors, labels or description (admin)', requestBody: json('UpdateAgentRequest'), responses: { 200: { description: 'OK', ...json('Agent') }, ...errors(400, 401, 403, 404) } },
    delete: { summary: 'Delete an agent (admin)', responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404) } },
  },
  '/api/agents/{name}/secret': {
    parameters: [pathParam('name')],
    post: { summary: 'Regenerate the secret (admin); the old one stops working', responses: { 200: { description: 'OK', ...json('RegisteredAgent') }, ...errors(401, 403, 404) } },
  },
  '/api/agent/heartbeat': { post: { summary: 'Agent heartbeat (agent token)', responses: { 204: { description: 'Recorded' }, ...errors(401, 403) } } },
  '/api/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OK' } } } },
};

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'Jonkkins', version: '0.1.0', description: 'REST API of the Jonkkins CI/CD server. Errors are `{error: {code, message, details}}`.' },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(Object.entries(schemas).map(([k, s]) => [k, z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })])),
    },
  };
  return cached;
}
