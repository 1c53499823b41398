/**
 * A stand-in for the master's side of the agent contract (shared/src/agent-protocol.ts), for the
 * agent's tests until the real master implements it: real HTTP on a real port, builds kept in
 * memory (the master's PostgreSQL), queue jobs on the real Redis. It can misbehave on purpose:
 * answer 503, go away and come back on the same port (a restart), lose console bytes.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BuildSpec, WorkConfig } from '../../shared/src/agent-protocol.ts';

export interface FakeBuild {
  id: number;
  state: 'queued' | 'running' | 'finished' | 'cancelled';
  spec: BuildSpec;
  console: Buffer;
  abort: boolean;
  result?: string;
  executor?: number;
  logPosts: number[]; // body sizes
  pings: number;
  queuedAt: number;
  startedAt?: number;
}

export interface FakeMasterOptions {
  redis: Redis;
  redisUrl: string;
  prefix: string;
  agent: { name: string; secret: string; labels?: string[]; executors?: number };
  queues?: WorkConfig['queues'];
}

export class FakeMaster {
  readonly builds = new Map<number, FakeBuild>();
  readonly requests: string[] = [];
  /** Answer 503 to this many agent calls (except login) from now on. */
  failNext = 0;
  /** Make the next log post's reply claim the master has only this many bytes (and forget the rest). */
  loseBytesTo: number | undefined;
  config: WorkConfig;
  #server: Server;
  #port = 0;
  #token = '';
  #nextId = 1;
  readonly #queues = new Map<string, Queue>();
  readonly #o: FakeMasterOptions;
  #prefix: string;

  constructor(opts: FakeMasterOptions) {
    this.#o = opts;
    this.#prefix = opts.prefix;
    this.config = {
      redis: { url: opts.redisUrl, prefix: opts.prefix },
      labels: opts.agent.labels ?? [],
      executors: opts.agent.executors ?? 2,
      queues: opts.queues ?? [{ name: 'any', expression: '' }],
    };
    this.#server = this.#create();
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    this.#server.listen(this.#port, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Goes away (connections refused) for `downMs`, then listens on the same port again. */
  async restart(downMs: number): Promise<void> {
    await this.close();
    await new Promise((r) => setTimeout(r, downMs));
    this.#server = this.#create();
    await this.listen();
  }

  async close(): Promise<void> {
    const closed = new Promise((r) => this.#server.close(r));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Moves the queue to another key prefix (as a reconfigured master would). */
  async movePrefix(prefix: string): Promise<void> {
    await this.closeQueues();
    this.#queues.clear();
    this.#prefix = prefix;
    this.config = { ...this.config, redis: { ...this.config.redis, prefix } };
  }

  async closeQueues(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
  }

  /** Queues a build: the row (with the cause line the master writes) and its queue job. */
  async trigger(spec: Partial<BuildSpec> & { steps: BuildSpec['steps'] }, queue = 'any', delayMs = 0): Promise<FakeBuild> {
    const id = this.#nextId++;
    const header = Buffer.from('Started by user admin\n');
    const build: FakeBuild = {
      id,
      state: 'queued',
      console: header,
      abort: false,
      logPosts: [],
      pings: 0,
      queuedAt: Date.now(),
      spec: { buildId: id, jobName: 'job', number: id, env: {}, masks: [], timeoutMinutes: null, logOffset: header.length, ...spec },
    };
    this.builds.set(id, build);
    let q = this.#queues.get(queue);
    if (!q) {
      q = new Queue(queue, { connection: this.#o.redis, prefix: this.#prefix });
      this.#queues.set(queue, q);
    }
    await q.add('build', { buildId: id }, { jobId: `build-${id}`, delay: delayMs, removeOnComplete: true });
    return build;
  }

  #create(): Server {
    return createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#handle(req, Buffer.concat(chunks), res));
    });
  }

  #handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, value?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(value === undefined ? '' : JSON.stringify(value));
    };
    this.requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname === '/login-slave') {
      const c = JSON.parse(body.toString()) as { name: string; secret: string };
      if (c.name !== this.#o.agent.name || c.secret !== this.#o.agent.secret) return send(401, { error: { code: 'unauthorized', message: 'Invalid agent name or secret' } });
      this.#token = randomUUID();
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(this.#token);
    }
    if (req.headers.authorization !== `Bearer ${this.#token}`) return send(401, { error: { code: 'unauthorized', message: 'bad token' } });
    if (this.failNext > 0) {
      this.failNext--;
      return send(503, { error: { code: 'unavailable', message: 'restarting' } });
    }
    if (url.pathname === '/api/agent/heartbeat') return send(204);
    if (url.pathname === '/api/agent/work-config') return send(200, this.config);
    const m = /^\/api\/agent\/builds\/(\d+)\/(start|log|ping|finish)$/.exec(url.pathname);
    const build = m ? this.builds.get(Number(m[1])) : undefined;
    if (!m || !build) return send(404, { error: { code: 'not_found', message: 'no such build' } });
    const conflict = (message: string, extra: object = {}) => send(409, { error: { code: 'conflict', message }, ...extra });
    switch (m[2]) {
      case 'start': {
        if (build.state !== 'queued') return conflict(`build is ${build.state}`);
        build.state = 'running';
        build.startedAt = Date.now();
        build.executor = (JSON.parse(body.toString()) as { executor: number }).executor;
        return send(200, build.spec);
      }
      case 'log': {
        if (build.state !== 'running') return conflict(`build is ${build.state}`);
        if (this.loseBytesTo !== undefined) {
          build.console = build.console.subarray(0, this.loseBytesTo);
          this.loseBytesTo = undefined;
        }
        const offset = Number(url.searchParams.get('offset'));
        if (offset > build.console.length) return conflict('gap', { logSize: build.console.length });
        build.logPosts.push(body.length);
        const fresh = body.subarray(build.console.length - offset);
        build.console = Buffer.concat([build.console, fresh]);
        return send(200, { logSize: build.console.length, abort: build.abort });
      }
      case 'ping':
        build.pings++;
        return send(200, { logSize: build.console.length, abort: build.abort });
      case 'finish': {
        const f = JSON.parse(body.toString()) as { result: string; logSize: number };
        if (build.state !== 'running') return conflict(`build is ${build.state}`);
        if (f.logSize !== build.console.length) return conflict('gap', { logSize: build.console.length });
        build.state = 'finished';
        build.result = build.abort ? 'ABORTED' : f.result;
        build.console = Buffer.concat([build.console, Buffer.from(`Finished: ${build.result}\n`)]);
        return send(200, {});
      }
    }
  }
}
