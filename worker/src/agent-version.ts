/** The agent's software version (package.json's), stated at login next to PROTOCOL_VERSION. */
import { readFileSync } from 'node:fs';

export const AGENT_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
