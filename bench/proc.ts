/**
 * What the kernel says about the processes under test (Linux /proc): resident memory sampled on a
 * timer, CPU time read at phase boundaries (the process's own, and its reaped children's: for an
 * agent those are the build steps), and the CPU of the PostgreSQL backends serving one database.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

/** VmRSS in kB, or undefined when the process is gone. */
export function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuTimes {
  /** user + system of the process itself, ms. */
  self: number;
  /** user + system of its waited-for children, ms. */
  children: number;
  /** Minor page faults of the process itself, and of its waited-for children. */
  faults: number;
  childFaults: number;
}

export function cpuTimes(pid: number): CpuTimes | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state=0 … minflt=7 cminflt=8 … utime=11 stime=12 cutime=13 cstime=14
    return {
      self: (Number(f[11]) + Number(f[12])) * TICK_MS,
      children: (Number(f[13]) + Number(f[14])) * TICK_MS,
      faults: Number(f[7]),
      childFaults: Number(f[8]),
    };
  } catch {
    return undefined;
  }
}

/** Pids of the live children of `pid` (an agent's step launcher, say). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU of a process together with its live children (their own, and what they reaped): an agent
 * starts build steps through a child of its own (the step launcher), which reaps them.
 */
export function cpuTimesWithChildren(pid: number): CpuTimes | undefined {
  const own = cpuTimes(pid);
  if (!own) return undefined;
  for (const child of childPids(pid)) {
    const c = cpuTimes(child);
    if (!c) continue;
    own.self += c.self;
    own.children += c.children;
    own.faults += c.faults;
    own.childFaults += c.childFaults;
  }
  return own;
}

/** Busy and total CPU ms of the whole machine so far (all cores, /proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + f[4]!; // idle + iowait
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/** CPU ms of every PostgreSQL backend whose command line names `database`, by pid. */
export function postgresBackends(database: string): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (!cmd.startsWith('postgres: ') || !cmd.includes(` ${database} `)) continue;
      const cpu = cpuTimes(Number(e));
      if (cpu) out.set(Number(e), cpu.self);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ms the backends spent between two snapshots (a backend that exited in between is missed). */
export function postgresDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

export interface RssSample {
  t: number;
  kb: number;
}

/**
 * Samples VmRSS of named processes every `everyMs`. Processes can be added (an agent started) or
 * replaced (a master restarted) while it runs; samples are kept per name.
 */
export class RssSampler {
  readonly #pids = new Map<string, number>();
  readonly samples = new Map<string, RssSample[]>();
  readonly #timer: NodeJS.Timeout;

  constructor(everyMs = 50) {
    this.#timer = setInterval(() => this.sample(), everyMs);
    this.#timer.unref();
  }

  watch(name: string, pid: number): void {
    this.#pids.set(name, pid);
    if (!this.samples.has(name)) this.samples.set(name, []);
    this.sample();
  }

  unwatch(name: string): void {
    this.#pids.delete(name);
  }

  sample(): void {
    const t = performance.now();
    for (const [name, pid] of this.#pids) {
      const kb = rssKb(pid);
      if (kb !== undefined) this.samples.get(name)!.push({ t, kb });
    }
  }

  /** The highest sample of `name` (optionally within [from, to] of performance.now()), in MB. */
  peakMb(name: string, from = -Infinity, to = Infinity): number {
    let max = 0;
    for (const s of this.samples.get(name) ?? []) if (s.t >= from && s.t <= to && s.kb > max) max = s.kb;
    return max / 1024;
  }

  /** When (performance.now()) the highest sample of `name` was taken. */
  peakAt(name: string): number | undefined {
    let best: RssSample | undefined;
    for (const s of this.samples.get(name) ?? []) if (!best || s.kb > best.kb) best = s;
    return best?.t;
  }

  latestMb(name: string): number {
    return (this.samples.get(name)?.at(-1)?.kb ?? 0) / 1024;
  }

  count(name: string): number {
    return this.samples.get(name)?.length ?? 0;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
