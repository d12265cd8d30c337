/**
 * For each Smart Data Models normalized example: the entity type, attribute names and
 * sub-attribute names expanded with CompiledContext must match jsonld.expand of the whole
 * document, and compacting them back must match jsonld.compact of the expanded document.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ContextResolver } from '../../src/broker/jsonld/context-resolver.js';
import type { CompiledContext } from '../../src/broker/jsonld/compiled-context.js';
import { ATTRIBUTE_MEMBERS } from '../../src/broker/model.js';
import { CORE_UNVERSIONED, CORE_V18, CORE_V19, documentLoader, jsonld, SDM_DOMAINS, SDM_SHARED, withCore } from './reference.js';
import { existsSync, readdirSync } from 'node:fs';

type Obj = Record<string, unknown>;
const ENTITY_MEMBERS = new Set(['id', 'type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt']);

const examples = SDM_DOMAINS.flatMap((domain) =>
  readdirSync(join(SDM_SHARED, domain), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(SDM_SHARED, domain, e.name, 'examples', 'example-normalized.jsonld'))
    .filter((file) => existsSync(file))
    .map((file) => ({ name: file.slice(SDM_SHARED.length + 1), file })),
);

const resolver = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1 << 20, cacheEntries: 10 });
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
/** The instances of an attribute (one object or an array of them). */
const instancesOf = (v: unknown) => (Array.isArray(v) ? v : [v]) as Obj[];

/** The names of an attribute instance that are sub-attributes (not NGSI-LD members). */
const subAttributeNames = (instance: Obj) => Object.keys(instance).filter((k) => !ATTRIBUTE_MEMBERS.has(k));

/** What the broker would store: expanded types, and expanded attribute -> sub-attribute names. */
function expandEntity(cc: CompiledContext, doc: Obj) {
  const attrs = new Map<string, string[][]>();
  for (const [name, value] of Object.entries(doc)) {
    if (ENTITY_MEMBERS.has(name)) continue;
    attrs.set(
      cc.expandTerm(name),
      instancesOf(value).map((instance) => subAttributeNames(instance).map((s) => cc.expandTerm(s)).sort()),
    );
  }
  return { types: asArray(doc.type as string).map((t) => cc.expandTerm(t)), attrs };
}

describe.each(examples)('$name', ({ file }) => {
  const original = JSON.parse(readFileSync(file, 'utf8')) as Obj;
  // What the broker processes: the example's @context followed by the core context it names (or v1.9).
  const core = asArray(original['@context'] as string).filter((c) => [CORE_UNVERSIONED, CORE_V18, CORE_V19].includes(c)).at(-1);
  const doc: Obj = { ...original, '@context': withCore(original['@context'], core ?? CORE_V19) };

  test('expansion of type, attribute, member and sub-attribute names matches jsonld.expand', async () => {
    const cc = await resolver.compile(original['@context'], 'tenant');
    const [expanded] = (await jsonld.expand(doc, { documentLoader })) as Obj[];
    expect(asArray(doc.type as string).map((t) => cc.expandTerm(t))).toEqual(expanded!['@type']);
    // every key of every attribute instance: NGSI-LD members and sub-attributes
    const mine = new Map<string, string[][]>();
    for (const [name, value] of Object.entries(doc)) {
      if (ENTITY_MEMBERS.has(name)) continue;
      mine.set(
        cc.expandTerm(name),
        instancesOf(value).map((instance) => Object.keys(instance).map((k) => cc.expandTerm(k)).sort()),
      );
    }
    const theirs = new Map<string, string[][]>();
    for (const [iri, instances] of Object.entries(expanded!)) {
      if (!iri.startsWith('@')) theirs.set(iri, (instances as Obj[]).map((instance) => Object.keys(instance).sort()));
    }
    expect(new Map([...mine].sort())).toEqual(new Map([...theirs].sort()));
  });

  test('compaction back matches jsonld.compact', async () => {
    const cc = await resolver.compile(original['@context'], 'tenant');
    const expanded = await jsonld.expand(doc, { documentLoader });
    const compacted = await jsonld.compact(expanded, doc['@context'], { documentLoader });
    const { types, attrs } = expandEntity(cc, doc);
    expect(types.map((t) => cc.compactType(t))).toEqual(asArray(compacted.type));
    const theirNames = Object.keys(compacted).filter((k) => !ENTITY_MEMBERS.has(k)).sort();
    expect([...attrs.keys()].map((iri) => cc.compactIri(iri)).sort()).toEqual(theirNames);
    for (const [iri, instances] of attrs) {
      const theirInstances = instancesOf(compacted[cc.compactIri(iri)]);
      expect(instances.map((subs) => subs.map((s) => cc.compactIri(s)).sort())).toEqual(
        theirInstances.map((instance) => subAttributeNames(instance).sort()),
      );
    }
    // and the original names come back
    expect(theirNames).toEqual(Object.keys(doc).filter((k) => !ENTITY_MEMBERS.has(k)).sort());
  });
});

test('all normalized examples are covered', () => {
  expect(examples.length).toBeGreaterThanOrEqual(14);
});
