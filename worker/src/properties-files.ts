/**
 * parameterized-trigger's FileBuildParameters on the agent: comma-separated files, names
 * `$VAR`-expanded, relative to the workspace. Their texts go to the master, which parses them
 * (Java-properties syntax) with the other parameter sources. A missing file is reported in the
 * console and skipped, as in Jenkins without "fail the trigger on a missing file".
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expandVariables } from '../../shared/src/expand-variables.ts';

/** The largest properties file read (the master takes 1 MB per request). */
const MAX_BYTES = 512 * 1024;

export async function readPropertiesFiles(names: string, workspace: string, env: Record<string, string>, say: (text: string) => void): Promise<string[]> {
  const texts: string[] = [];
  for (const name of expandVariables(names, env).split(',').map((n) => n.trim()).filter(Boolean)) {
    try {
      const bytes = await readFile(resolve(workspace, name));
      if (bytes.length > MAX_BYTES) throw new Error(`${name} is larger than ${MAX_BYTES} bytes`);
      texts.push(bytes.toString('utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') say(`[parameterized-trigger] Properties file ${name} did not exist.\n`);
      else say(`[parameterized-trigger] Properties file ${name} could not be read: ${(err as Error).message}\n`);
    }
  }
  return texts;
}
