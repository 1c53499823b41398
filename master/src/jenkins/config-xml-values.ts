/** Small helpers the config.xml sections share. */

/** `o` without its undefined fields: a document read from XML has only the fields the XML gave. */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Jenkins' comma-separated project lists, as written back: "a, b". */
export const projectList = (s: string): string =>
  s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join(', ');
