import { readFileSync } from 'node:fs';

/** The version of Urbis, from package.json (two levels above both src/ and dist/). */
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
