/** Which live processes carry a string in their command line or environment (/proc/<pid>/cmdline, environ). */
import { readdir, readFile } from 'node:fs/promises';

export interface Sighting {
  pid: number;
  where: 'cmdline' | 'environ';
  cmdline: string;
}

export async function processesCarrying(needles: string[]): Promise<{ seen: Sighting[]; scanned: string[] }> {
  const seen: Sighting[] = [];
  const scanned: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '');
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    scanned.push(cmdline.replaceAll('\0', ' '));
    for (const n of needles) {
      if (cmdline.includes(n)) seen.push({ pid: Number(entry), where: 'cmdline', cmdline });
      if (environ.includes(n)) seen.push({ pid: Number(entry), where: 'environ', cmdline });
    }
  }
  return { seen, scanned };
}

/** A process's parent pid (/proc/<pid>/stat), or undefined once it is gone. */
export async function parentOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return stat ? Number(fields[1]) : undefined;
}
