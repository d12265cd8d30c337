/**
 * Corpus test: for every term of every builtin context and of hand-written edge-case contexts,
 * CompiledContext must expand and compact as jsonld.js does on the same @context (the request's
 * context followed by the NGSI-LD core context).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ContextResolver } from '../../src/broker/jsonld/context-resolver.js';
import type { CompiledContext } from '../../src/broker/jsonld/compiled-context.js';
import { NgsiError } from '../../src/errors.js';
import {
  CORE_UNVERSIONED,
  CORE_V18,
  CORE_V19,
  documentLoader,
  extraDocuments,
  jsonld,
  referenceCompactNames,
  referenceCompactTypes,
  referenceExpandNames,
  referenceExpandTypes,
  SDM_DOMAINS,
  sdmPagesUrl,
  sdmRawUrl,
  withCore,
} from './reference.js';
import { TestServer } from './test-server.js';

const server = new TestServer();
const resolver = new ContextResolver({ allowRemote: true, fetchTimeoutMs: 2000, maxContextBytes: 1 << 20, cacheEntries: 50 });

/** Names probed in every context besides its own terms. */
const PROBE_TERMS = [
  'unknownAttr', 'brandName', 'ngsi-ld:probe', 'geojson:probe', 'urn:ngsi-ld:Thing:probe', 'http://example.org/probe',
  'ex:probe', 'schema:probe', 'np:probe', 'p:probe', 'deep:probe', 'notaprefix:probe', '_:b0', 'location', 'observedAt',
  'https://smartdatamodels.org/dataModel.Parking/probe', 'ngsi-ld:default-context/x',
];
/** IRIs probed in every context besides the expansions of its terms. */
const PROBE_IRIS = [
  'https://uri.etsi.org/ngsi-ld/default-context/probe', 'https://uri.etsi.org/ngsi-ld/default-context/',
  'https://uri.etsi.org/ngsi-ld/probe', 'https://uri.etsi.org/ngsi-ld/', 'https://purl.org/geojson/vocab#probe',
  'http://example.org/probe', 'http://example.org/deep/probe', 'http://example.org/p/probe', 'http://example.org/ns#probe',
  'urn:ngsi-ld:probe', 'https://smartdatamodels.org/probe', 'https://smartdatamodels.org/dataModel.Parking/probe',
  'https://schema.org/probe',
];

interface Case {
  name: string;
  context: () => unknown;
  /** The core version the broker applies (the one the context names, else v1.9). */
  core?: string;
}

const builtinCases: Case[] = [
  { name: 'no context (core v1.9)', context: () => undefined },
  { name: 'core v1.9 URL', context: () => CORE_V19 },
  { name: 'core v1.8 URL', context: () => CORE_V18, core: CORE_V18 },
  { name: 'unversioned core URL (v1.8 content)', context: () => CORE_UNVERSIONED, core: CORE_UNVERSIONED },
  ...SDM_DOMAINS.map((d) => ({ name: `SDM ${d} (raw.githubusercontent URL)`, context: () => sdmRawUrl(d) })),
  ...SDM_DOMAINS.map((d) => ({
    name: `SDM ${d} (github.io URL) + unversioned core, as in the SDM examples`,
    context: () => [sdmPagesUrl(d), CORE_UNVERSIONED],
    core: CORE_UNVERSIONED,
  })),
];

const handCases: Case[] = [
  {
    name: 'prefix terms (simple, @prefix true, non-prefix, prefix defined by a compact IRI)',
    context: () => ({
      ex: 'http://example.org/', schema: 'https://schema.org/', name: 'schema:name', exA: 'ex:a',
      p: { '@id': 'http://example.org/p/', '@prefix': true }, np: 'http://example.org/np', exhash: 'http://example.org/ns#',
      deep: 'ex:deep/', notp: { '@id': 'http://example.org/notp/' },
    }),
  },
  {
    name: 'compact IRIs in @id, compact-IRI terms, core prefix used before the core is applied',
    context: () => ({
      ex: 'http://example.org/', temp: { '@id': 'ex:temperature' }, hum: { '@id': 'ex:humidity', '@type': '@id' },
      'ex:alias': 'http://example.org/alias', ngsiThing: 'ngsi-ld:thing', 'ex:bare': {},
    }),
  },
  {
    name: '@vocab override (used while defining terms, then replaced by the core @vocab)',
    context: () => ({ '@vocab': 'http://example.org/vocab/', foo: { '@type': '@id' }, bar: {}, baz: 'baz2' }),
  },
  {
    name: 'array where a later context overrides an earlier non-protected term',
    context: () => [
      { speed: 'http://a.example.org/speed', keep: 'http://a.example.org/keep' },
      { speed: 'http://b.example.org/speed' },
    ],
  },
  {
    name: 'terms that look like IRIs',
    context: () => [
      { ex: 'http://example.org/' },
      { 'http://example.org/x': { '@type': '@id' }, 'ex:y': { '@type': '@id' }, 'urn:z:w': { '@container': '@set' }, 'ex:z': 'http://example.org/z' },
    ],
  },
  {
    name: 'terms with @type coercion, @container and @language',
    context: () => ({
      ex: 'http://example.org/', ref: { '@id': 'ex:ref', '@type': '@id' }, cat: { '@id': 'ex:cat', '@type': '@vocab' },
      when: { '@id': 'ex:when', '@type': 'http://www.w3.org/2001/XMLSchema#dateTime' }, js: { '@id': 'ex:js', '@type': '@json' },
      lst: { '@id': 'ex:lst', '@container': '@list' }, lang: { '@id': 'ex:lang', '@container': '@language' },
      idx: { '@id': 'ex:idx', '@container': '@index' }, nn: { '@id': 'ex:nn', '@type': '@none' },
      tagged: { '@id': 'ex:tagged', '@language': 'en' }, st: { '@id': 'ex:st', '@container': '@set' },
    }),
  },
  {
    name: 'several terms for the same IRI',
    context: () => ({
      t: 'http://example.org/same', tt: 'http://example.org/same', b1: 'http://example.org/same1', a1: 'http://example.org/same1',
      aaa: { '@id': 'http://example.org/same2', '@type': '@id' }, b: 'http://example.org/same2',
      zz: { '@id': 'http://example.org/same3', '@container': '@set' }, z: 'http://example.org/same3',
      vv: { '@id': 'http://example.org/same4', '@type': '@vocab' }, v: 'http://example.org/same4',
      longer: { '@id': 'http://example.org/same5', '@container': '@index' }, s: 'http://example.org/same5',
      q: { '@id': 'http://example.org/same6', '@type': '@vocab' }, qq: { '@id': 'http://example.org/same6', '@type': '@id' },
      alsoLocation: 'https://uri.etsi.org/ngsi-ld/location', ex: 'http://example.org/',
    }),
  },
  {
    name: 'a user context placed before the core cannot change core terms',
    context: () => ({ location: 'http://example.org/location', name: 'http://example.org/name', ex: 'http://example.org/' }),
  },
  {
    name: 'a term equal to the @vocab suffix of an IRI',
    context: () => ({ probe: 'http://example.org/probe', foo: 'http://example.org/foo' }),
  },
  {
    name: 'null resets, null terms and reserved terms',
    context: () => [{ gone: 'http://example.org/gone' }, null, { kept: 'http://example.org/kept', nothing: null, '@reserved': 'x', weird: { '@id': '@ignored' } }],
  },
  {
    name: 'protected user terms redefined identically',
    context: () => [{ '@protected': true, mine: 'http://example.org/mine' }, { mine: 'http://example.org/mine' }],
  },
  {
    name: 'SDM domain plus an inline context',
    context: () => [sdmRawUrl('Parking'), { extra: 'http://example.org/extra', ex: 'http://example.org/' }],
  },
  {
    name: 'two SDM domains with overlapping terms',
    context: () => [sdmRawUrl('Weather'), sdmPagesUrl('Environment')],
  },
  {
    name: 'nested remote contexts served over HTTP (with a relative reference)',
    context: () => [`${server.base}/ctx/a.jsonld`, { local: 'http://example.org/local' }],
  },
  {
    name: 'remote contexts that depend on terms or @vocab of earlier contexts',
    context: () => [
      { ex: 'http://example.org/', '@vocab': 'http://example.org/v/' },
      `${server.base}/ctx/uses-ex.jsonld`,
      `${server.base}/ctx/uses-vocab.jsonld`,
    ],
  },
  {
    name: '@import of a remote context',
    // (a document used only through @import: jsonld.js 8 mishandles an @import of a context it has
    // already processed as a reference)
    context: () => ({ '@import': `${server.base}/ctx/imported.jsonld`, m1: 'http://example.org/overridden', i1: 'http://example.org/i1' }),
  },
];

/** Invalid contexts: jsonld.js throws and the broker must throw BadRequestData. */
const errorCases: { name: string; context: () => unknown }[] = [
  { name: 'redefining a core term after the core', context: () => [CORE_V19, { location: 'http://example.org/location' }] },
  { name: 'a protected user term that the core redefines', context: () => ({ '@protected': true, location: 'http://example.org/loc' }) },
  {
    name: 'redefining a protected user term',
    context: () => [{ '@protected': true, mine: 'http://example.org/mine' }, { mine: 'http://example.org/other' }],
  },
  { name: 'nullifying protected terms', context: () => [{ '@protected': true, mine: 'http://example.org/mine' }, null] },
  { name: 'two incompatible core versions', context: () => [CORE_V18, CORE_V19] },
  { name: 'an IRI-like term mapped to another IRI', context: () => ({ 'http://example.org/x': 'http://example.org/y' }) },
  { name: 'cyclic term definitions', context: () => ({ a: 'b:c', b: { '@id': 'a:x' } }) },
  { name: 'an invalid @container', context: () => ({ x: { '@id': 'http://example.org/x', '@container': '@bogus' } }) },
  { name: 'keyword redefinition', context: () => ({ '@id': 'http://example.org/id' }) },
];

beforeAll(async () => {
  await server.start();
  const docs: Record<string, unknown> = {
    '/ctx/a.jsonld': { '@context': [`${server.base}/ctx/b.jsonld`, 'c.jsonld', { a1: 'http://example.org/a1', shared: 'http://example.org/from-a' }] },
    '/ctx/b.jsonld': { '@context': { b1: 'http://example.org/b1', shared: 'http://example.org/from-b', bx: 'http://example.org/bx/' } },
    '/ctx/c.jsonld': { '@context': { c1: 'ex2:c1', ex2: 'http://example2.org/' } },
    '/ctx/uses-ex.jsonld': { '@context': { e1: 'ex:e1', e2: { '@id': 'ex:e2', '@type': '@id' } } },
    '/ctx/uses-vocab.jsonld': { '@context': { nov: { '@type': '@id' }, nov2: {} } },
    '/ctx/imported.jsonld': { '@context': { m1: 'http://example.org/m1', m2: 'http://example.org/m2', exi: 'http://example.org/i/' } },
  };
  for (const [path, body] of Object.entries(docs)) {
    extraDocuments.set(server.serve(path, { body }), body);
  }
});
afterAll(() => server.stop());

/** Every term defined by `context` (following URLs) plus the core terms and the probes. */
async function termsOf(context: unknown, core: string): Promise<string[]> {
  const terms = new Set<string>();
  const visit = async (value: unknown, base?: string): Promise<void> => {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') {
        const url = new URL(item, base).href;
        await visit(((await documentLoader(url)).document as Record<string, unknown>)['@context'], url);
      } else if (item && typeof item === 'object') {
        for (const key of Object.keys(item)) if (!key.startsWith('@')) terms.add(key);
      }
    }
  };
  await visit([context ?? [], core].flat());
  for (const p of PROBE_TERMS) terms.add(p);
  return [...terms];
}

/** expandTerm, or undefined where the broker refuses the term (null mapping, keyword form). */
function tryExpand(cc: CompiledContext, term: string): string | undefined {
  try {
    return cc.expandTerm(term);
  } catch (err) {
    expect(err).toBeInstanceOf(NgsiError);
    expect((err as NgsiError).errorType).toBe('BadRequestData');
    return undefined;
  }
}

let checkedTerms = 0;
let checkedIris = 0;

describe.each([...builtinCases, ...handCases])('$name', ({ context, core }) => {
  test('expandTerm agrees with jsonld.expand; compactIri/compactType agree with jsonld.compact', async () => {
    const ctx = context();
    const cc = await resolver.compile(ctx, 'tenant');
    const reference = withCore(ctx, core ?? CORE_V19);
    const all = await termsOf(ctx, core ?? CORE_V19);

    // Keyword aliases (id, type) cannot be property names in a document.
    const aliases = all.filter((t) => tryExpand(cc, t)?.startsWith('@'));
    for (const t of aliases) expect([t, cc.expandTerm(t)]).toEqual([t, t === 'id' ? '@id' : '@type']);
    const terms = all.filter((t) => !aliases.includes(t));

    // 1. Attribute names.
    const mine = terms.map((t) => tryExpand(cc, t));
    const theirs = await referenceExpandNames(reference, terms);
    expect(terms.map((t, i) => [t, mine[i]])).toEqual(terms.map((t, i) => [t, theirs[i]]));

    // 2. Entity types (jsonld.js rejects null-mapped and keyword-form type values).
    const typeTerms = terms.filter((_, i) => mine[i] !== undefined);
    const types = await referenceExpandTypes(reference, typeTerms);
    expect(typeTerms.map((t) => [t, cc.expandTerm(t)])).toEqual(typeTerms.map((t, i) => [t, types[i]]));
    expect(cc.expandVocabValue(typeTerms)).toEqual(types);

    // 3. Compaction of attribute names and of types.
    const iris = [...new Set([...(mine.filter((x) => x !== undefined) as string[]), ...PROBE_IRIS])];
    const names = await referenceCompactNames(reference, iris);
    expect(iris.map((iri) => [iri, cc.compactIri(iri)])).toEqual(iris.map((iri, i) => [iri, names[i]]));
    const compactTypes = await referenceCompactTypes(reference, iris);
    expect(iris.map((iri) => [iri, cc.compactType(iri)])).toEqual(iris.map((iri, i) => [iri, compactTypes[i]]));
    expect(cc.compactVocabValue(iris)).toEqual(compactTypes);

    checkedTerms += terms.length;
    checkedIris += iris.length;
  });
});

describe('invalid contexts', () => {
  test.each(errorCases)('$name: jsonld.js throws, the broker throws BadRequestData', async ({ context }) => {
    const ctx = context();
    await expect(jsonld.expand({ '@context': withCore(ctx), '@id': 'urn:x' }, { documentLoader })).rejects.toThrow();
    const err = await resolver.compile(ctx, 'tenant').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NgsiError);
    expect((err as NgsiError).errorType).toBe('BadRequestData');
    expect((err as NgsiError).detail).toMatch(/Invalid JSON-LD @context/);
  });

  test('the protected-term error names the term', async () => {
    await expect(resolver.compile([CORE_V19, { location: 'http://example.org/location' }], 't')).rejects.toThrow(
      /term "location": a protected term cannot be redefined/,
    );
  });
});

afterAll(() => {
  console.log(`corpus: ${checkedTerms} term expansions (x2: names and types) and ${checkedIris} IRI compactions (x2) checked against jsonld.js`);
});
