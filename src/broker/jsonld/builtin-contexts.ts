/**
 * The well-known JSON-LD contexts the broker serves without network access: the ETSI NGSI-LD core
 * context (v1.8, v1.9, and the unversioned URL, which serves the v1.8 content) and the Smart Data
 * Models domain contexts. They are read once, at module load, from the `contexts/` folder of the
 * package (see contexts/SOURCES.md for their origin and licences) and frozen.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The core context URL the broker applies when a request names none (v1.9). */
export const DEFAULT_CORE_CONTEXT_URL = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld';

const CORE_FILES: Readonly<Record<string, string>> = {
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld': 'ngsi-ld-core-context-v1.8.jsonld',
  'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld': 'ngsi-ld-core-context-v1.8.jsonld',
  [DEFAULT_CORE_CONTEXT_URL]: 'ngsi-ld-core-context-v1.9.jsonld',
};

/** The package's `contexts/` folder: the nearest ancestor of this module holding package.json. */
export const CONTEXTS_DIR = findContextsDir(dirname(fileURLToPath(import.meta.url)));

const documents = loadBuiltins();

/** Every URL served from the preloaded files. */
export const BUILTIN_CONTEXT_URLS: readonly string[] = Object.freeze([...documents.keys()]);

/** The (frozen) JSON document preloaded for `url`, or undefined if it is not a builtin context. */
export function builtinContext(url: string): unknown {
  return documents.get(url);
}

/** Whether `url` names a version of the NGSI-LD core context. */
export function isCoreContextUrl(url: string): boolean {
  return url in CORE_FILES;
}

function findContextsDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'contexts'))) return join(dir, 'contexts');
    if (dirname(dir) === dir) throw new Error(`No contexts/ folder next to a package.json above ${start}`);
  }
}

function loadBuiltins(): Map<string, unknown> {
  const parsed = new Map<string, unknown>();
  const read = (file: string) => {
    let doc = parsed.get(file);
    if (doc === undefined) {
      doc = deepFreeze(JSON.parse(readFileSync(join(CONTEXTS_DIR, file), 'utf8')));
      parsed.set(file, doc);
    }
    return doc;
  };
  const byUrl = new Map<string, unknown>();
  for (const [url, file] of Object.entries(CORE_FILES)) byUrl.set(url, read(file));
  const sdmDir = join(CONTEXTS_DIR, 'smart-data-models');
  for (const domain of readdirSync(sdmDir).sort()) {
    const file = join('smart-data-models', domain, 'context.jsonld');
    if (!existsSync(join(CONTEXTS_DIR, file))) continue;
    const doc = read(file);
    byUrl.set(`https://raw.githubusercontent.com/smart-data-models/dataModel.${domain}/master/context.jsonld`, doc);
    byUrl.set(`https://smart-data-models.github.io/dataModel.${domain}/context.jsonld`, doc);
  }
  return byUrl;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
