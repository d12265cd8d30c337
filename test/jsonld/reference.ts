/**
 * The reference side of the JSON-LD tests: jsonld.js (dev dependency) with a document loader that
 * serves the preloaded contexts from disk (independently of src/broker/jsonld/builtin-contexts.ts)
 * plus documents registered by a test. No network access.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = unknown;
interface JsonLd {
  expand(input: Json, options: { documentLoader: Loader }): Promise<Record<string, unknown>[]>;
  compact(input: Json, ctx: Json, options: { documentLoader: Loader }): Promise<Record<string, unknown>>;
}
type Loader = (url: string) => Promise<{ contextUrl: null; documentUrl: string; document: Json }>;

export const jsonld = createRequire(import.meta.url)('jsonld') as JsonLd;

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONTEXTS = join(ROOT, 'contexts');
export { SDM_DIR as SDM_SHARED } from '../helpers/shared.js';

export const CORE_V18 = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld';
export const CORE_V19 = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld';
export const CORE_UNVERSIONED = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';
export const SDM_DOMAINS = readdirSync(join(CONTEXTS, 'smart-data-models')).sort();
export const sdmRawUrl = (d: string) => `https://raw.githubusercontent.com/smart-data-models/dataModel.${d}/master/context.jsonld`;
export const sdmPagesUrl = (d: string) => `https://smart-data-models.github.io/dataModel.${d}/context.jsonld`;

const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8'));

const files = new Map<string, string>([
  [CORE_UNVERSIONED, join(CONTEXTS, 'ngsi-ld-core-context-v1.8.jsonld')],
  [CORE_V18, join(CONTEXTS, 'ngsi-ld-core-context-v1.8.jsonld')],
  [CORE_V19, join(CONTEXTS, 'ngsi-ld-core-context-v1.9.jsonld')],
  ...SDM_DOMAINS.flatMap((d): [string, string][] => {
    const file = join(CONTEXTS, 'smart-data-models', d, 'context.jsonld');
    return [
      [sdmRawUrl(d), file],
      [sdmPagesUrl(d), file],
    ];
  }),
]);

/** Documents served by the loader besides the files (hand-written remote contexts). */
export const extraDocuments = new Map<string, Json>([
  // jsonld.js validates the term-scoped context of core v1.9's `ngsildproof`, which references
  // this W3C context; it cannot influence attribute names, so an empty context stands in for it.
  ['https://w3id.org/security/data-integrity/v2', { '@context': {} }],
]);

export const documentLoader: Loader = async (url) => {
  const file = files.get(url);
  const document = file ? readJson(file) : extraDocuments.get(url);
  if (document === undefined) throw new Error(`test document loader: no document for ${url}`);
  return { contextUrl: null, documentUrl: url, document: structuredClone(document) };
};

/** The @context jsonld.js must use to match the broker: the request's context, then the core. */
export function withCore(context: unknown, core = CORE_V19): unknown[] {
  const list = context === undefined ? [] : Array.isArray(context) ? context : [context];
  return [...list, core];
}

/** Whether `needle` occurs as a string anywhere inside `value`. */
export function containsString(value: unknown, needle: string): boolean {
  if (value === needle) return true;
  if (Array.isArray(value)) return value.some((v) => containsString(v, needle));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => containsString(v, needle));
  return false;
}

const MARKER_KEY = 'http://example.org/test-marker';

/**
 * jsonld.expand's IRI for each term used as a property name (the value is a node object, as an
 * NGSI-LD attribute is); undefined where jsonld.js drops the property.
 */
export async function referenceExpandNames(context: unknown[], terms: string[]): Promise<(string | undefined)[]> {
  const doc: Record<string, unknown> = { '@context': context, '@id': 'urn:ngsi-ld:Test:1' };
  terms.forEach((t, i) => (doc[t] = { [MARKER_KEY]: `m${i}` }));
  const [node] = await jsonld.expand(doc, { documentLoader });
  const keys = Object.keys(node ?? {});
  return terms.map((_, i) => keys.find((k) => containsString(node![k], `m${i}`)));
}

/** jsonld.expand's IRIs for the terms used as @type values, in order. */
export async function referenceExpandTypes(context: unknown[], terms: string[]): Promise<string[]> {
  const [node] = await jsonld.expand({ '@context': context, '@id': 'urn:ngsi-ld:Test:1', '@type': terms }, { documentLoader });
  return node!['@type'] as string[];
}

/**
 * jsonld.compact's term for each IRI used as the name of an NGSI-LD attribute (a node object with
 * type Property and a value), found by following a marker value.
 */
export async function referenceCompactNames(context: unknown[], iris: string[]): Promise<(string | undefined)[]> {
  const node: Record<string, unknown> = { '@id': 'urn:ngsi-ld:Test:1' };
  iris.forEach(
    (iri, i) =>
      (node[iri] = [
        {
          '@type': ['https://uri.etsi.org/ngsi-ld/Property'],
          'https://uri.etsi.org/ngsi-ld/hasValue': [{ '@value': `m${i}` }],
        },
      ]),
  );
  const compacted = await jsonld.compact([node], context, { documentLoader });
  const keys = Object.keys(compacted).filter((k) => k !== '@context');
  return iris.map((_, i) => keys.find((k) => containsString(compacted[k], `m${i}`)));
}

/** jsonld.compact's terms for the IRIs used as @type values, in order. */
export async function referenceCompactTypes(context: unknown[], iris: string[]): Promise<string[]> {
  const compacted = await jsonld.compact([{ '@id': 'urn:ngsi-ld:Test:1', '@type': iris }], context, { documentLoader });
  const types = compacted.type ?? compacted['@type'];
  return (Array.isArray(types) ? types : [types]) as string[];
}
