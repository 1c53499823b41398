/**
 * A master and agent processes shared by the tests of one scenario file (started in test.before,
 * stopped in test.after), and the console check scenario tests make.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext, TestFn } from 'ava';
import { bootstrapAdmin, call } from './http.ts';
import { spawnJonkkins, stopProcess, type JonkkinsProcess } from './processes.ts';
import { startTestMaster, type TestMaster } from './test-master.ts';

export interface AgentDefinition {
  name: string;
  executors: number;
  labels: string[];
}

/** What the tests reach once test.before ran: the master's URL and an admin token. */
export interface ScenarioSystem {
  readonly url: string;
  readonly admin: string;
}

/** Registers hooks that start a master (fast maintenance) and `agents` before the first test, and stop them after the last. */
export function scenarioSystem(test: TestFn, agents: AgentDefinition[]): ScenarioSystem {
  let m: TestMaster | undefined;
  let admin = '';
  let processes: JonkkinsProcess[] = [];
  test.before(async () => {
    m = await startTestMaster({}, { maintenance: { sweepEveryMs: 500, watchdogEveryMs: 500 } });
    admin = await bootstrapAdmin(m.url);
    // Not waiting for them to be online: builds queue until they are, and tests wait for builds.
    processes = await startAgents(m, admin, agents);
  });
  test.after.always(async () => {
    await Promise.all(processes.map((p) => stopProcess(p)));
    await m?.close();
  });
  return {
    get url() {
      return m!.url;
    },
    get admin() {
      return admin;
    },
  };
}

/** Registers each agent and starts its process in a fresh work directory. */
export async function startAgents(m: TestMaster, admin: string, agents: AgentDefinition[]): Promise<JonkkinsProcess[]> {
  const processes: JonkkinsProcess[] = [];
  for (const { name, executors, labels } of agents) {
    const { body } = await call(m.url, 'POST', '/api/agents', { token: admin, json: { name, executors, labels } });
    processes.push(spawnJonkkins(['agent', '--url', m.url, '--name', name, '--workdir', await mkdtemp(join(tmpdir(), `jk-${name}-`))], { JONKKINS_AGENT_SECRET: body.secret }));
  }
  return processes;
}

/** Asserts that `text` (a console) has each pattern, in order, and none of `absent`. */
export function expectConsole(t: ExecutionContext, what: string, text: string, patterns: string[], absent: string[] = []): void {
  let rest = text;
  for (const pattern of patterns) {
    const match = new RegExp(pattern).exec(rest);
    t.truthy(match, `${what} lacks /${pattern}/ (in order) in:\n${text}`);
    if (match) rest = rest.slice(match.index + match[0].length);
  }
  for (const s of absent) t.false(text.includes(s), `${what} has "${s}":\n${text}`);
}
