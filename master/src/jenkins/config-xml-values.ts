/** Small helpers the config.xml sections share. */

/** `o` without its undefined fields: a document read from XML has only the fields the XML gave. */
export function defined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
