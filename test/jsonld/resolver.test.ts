/** ContextResolver: builtins, remote fetching and its failures, caches, the lookup hook. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BUILTIN_CONTEXT_URLS,
  builtinContext,
  CONTEXTS_DIR,
  DEFAULT_CORE_CONTEXT_URL,
} from '../../src/broker/jsonld/builtin-contexts.js';
import { ContextResolver, type ContextResolverOptions } from '../../src/broker/jsonld/context-resolver.js';
import { NgsiError } from '../../src/errors.js';
import {
  CONTEXTS,
  CORE_UNVERSIONED,
  CORE_V18,
  CORE_V19,
  documentLoader,
  jsonld,
  SDM_DOMAINS,
  sdmPagesUrl,
  sdmRawUrl,
  withCore,
} from './reference.js';
import { TestServer } from './test-server.js';

const server = new TestServer();
const NGSI = 'https://uri.etsi.org/ngsi-ld/';
const DEFAULT_VOCAB = 'https://uri.etsi.org/ngsi-ld/default-context/';

const resolver = (options: Partial<ContextResolverOptions> = {}) =>
  new ContextResolver({ allowRemote: true, fetchTimeoutMs: 1000, maxContextBytes: 10_000, cacheEntries: 10, ...options });

/** The NgsiError a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<NgsiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NgsiError);
  return err as NgsiError;
}

beforeAll(async () => {
  await server.start();
  server.serve('/a.jsonld', { body: { '@context': [`${server.base}/b.jsonld`, { a: 'http://example.org/a' }] } });
  server.serve('/b.jsonld', { body: { '@context': { b: 'http://example.org/b', a: 'http://example.org/from-b' } } });
  server.serve('/loop1.jsonld', { body: { '@context': [`${server.base}/loop2.jsonld`] } });
  server.serve('/loop2.jsonld', { body: { '@context': ['loop1.jsonld'] } });
  for (let i = 0; i < 12; i++) server.serve(`/deep${i}.jsonld`, { body: { '@context': [`deep${i + 1}.jsonld`, { [`d${i}`]: `http://example.org/d${i}` }] } });
  server.serve('/deep12.jsonld', { body: { '@context': {} } });
  server.serve('/slow.jsonld', { hang: true });
  server.serve('/gone.jsonld', { status: 404, body: 'no such context' });
  server.serve('/big.jsonld', { body: { '@context': { big: 'http://example.org/big', pad: 'x'.repeat(20_000) } } });
  server.serve('/text.jsonld', { body: '<html>not json</html>' });
  server.serve('/array.jsonld', { body: [1, 2, 3] });
  server.serve('/no-context.jsonld', { body: { hello: 'world' } });
  for (const n of ['c1', 'c2', 'c3']) server.serve(`/${n}.jsonld`, { body: { '@context': { [n]: `http://example.org/${n}` } } });
});
afterAll(() => server.stop());

describe('builtin contexts', () => {
  test('the contexts folder is found from the module location', () => {
    expect(CONTEXTS_DIR).toBe(CONTEXTS);
  });

  test('core URLs (the unversioned one serves v1.8) and both URLs of every SDM domain', () => {
    const file = (f: string) => JSON.parse(readFileSync(join(CONTEXTS, f), 'utf8'));
    expect(DEFAULT_CORE_CONTEXT_URL).toBe(CORE_V19);
    expect(builtinContext(CORE_V19)).toEqual(file('ngsi-ld-core-context-v1.9.jsonld'));
    expect(builtinContext(CORE_V18)).toEqual(file('ngsi-ld-core-context-v1.8.jsonld'));
    expect(builtinContext(CORE_UNVERSIONED)).toBe(builtinContext(CORE_V18));
    expect(SDM_DOMAINS.length).toBe(9);
    for (const d of SDM_DOMAINS) {
      expect(builtinContext(sdmRawUrl(d))).toEqual(file(`smart-data-models/${d}/context.jsonld`));
      expect(builtinContext(sdmPagesUrl(d))).toBe(builtinContext(sdmRawUrl(d)));
    }
    expect(BUILTIN_CONTEXT_URLS.length).toBe(3 + 2 * SDM_DOMAINS.length);
    expect(Object.isFrozen(builtinContext(CORE_V19))).toBe(true);
  });
});

describe('compile()', () => {
  test('no @context means the core context only; a single URL gives the Link URL', async () => {
    const r = resolver({ allowRemote: false });
    const core = await r.compile(undefined, 't');
    expect(core.expandTerm('location')).toBe(`${NGSI}location`);
    expect(core.expandTerm('temperature')).toBe(`${DEFAULT_VOCAB}temperature`);
    expect(core.compactIri(`${DEFAULT_VOCAB}temperature`)).toBe('temperature');
    expect([core.linkUrl, core.contextValue, core.key]).toEqual([CORE_V19, CORE_V19, CORE_V19]);
    const sdm = await r.compile(sdmRawUrl('Parking'), 't');
    expect([sdm.linkUrl, sdm.contextValue]).toEqual([sdmRawUrl('Parking'), sdmRawUrl('Parking')]);
    const inline = [sdmRawUrl('Parking'), { x: 'http://example.org/x' }];
    const compiled = await r.compile(inline, 't');
    expect([compiled.linkUrl, compiled.contextValue, compiled.key]).toEqual([undefined, inline, JSON.stringify(inline)]);
  });

  test('compiled contexts are cached per tenant and @context value', async () => {
    const r = resolver({ allowRemote: false });
    const a = await r.compile([sdmRawUrl('Weather'), { x: 'http://example.org/x' }], 't1');
    expect(await r.compile([sdmRawUrl('Weather'), { x: 'http://example.org/x' }], 't1')).toBe(a);
    expect(await r.compile([sdmRawUrl('Weather'), { x: 'http://example.org/x' }], 't2')).not.toBe(a);
  });

  test('the core version named by the context is the one applied last', async () => {
    const r = resolver({ allowRemote: false });
    expect((await r.compile(undefined, 't')).expandTerm('attributeCount')).toBe(`${NGSI}attributeCount`);
    expect((await r.compile(CORE_V18, 't')).expandTerm('attributeCount')).toBe(`${DEFAULT_VOCAB}attributeCount`);
    expect((await r.compile([sdmRawUrl('Parking'), CORE_UNVERSIONED], 't')).expandTerm('attributeCount')).toBe(
      `${DEFAULT_VOCAB}attributeCount`,
    );
  });

  test('VocabProperty values expand and compact vocab-relatively', async () => {
    const cc = await resolver({ allowRemote: false }).compile({ ex: 'http://example.org/', red: 'ex:red' }, 't');
    expect(cc.expandVocabValue(['red', 'blue', 'ex:green'])).toEqual(['http://example.org/red', `${DEFAULT_VOCAB}blue`, 'http://example.org/green']);
    expect(cc.compactVocabValue('http://example.org/green')).toBe('ex:green');
    expect(cc.compactVocabValue(['http://example.org/red'])).toEqual(['red']);
  });

  test('an IRI that reads as a compact IRI of a prefix term is returned unchanged (jsonld.js throws)', async () => {
    const cc = await resolver({ allowRemote: false }).compile({ ex: 'http://example.org/' }, 't');
    const iri = 'ex:stored-before-ex-was-a-prefix';
    await expect(jsonld.compact([{ '@id': 'urn:x', [iri]: [{ '@id': 'urn:y' }] }], withCore({ ex: 'http://example.org/' }), { documentLoader })).rejects.toThrow(
      /confused with prefix/,
    );
    expect(cc.compactIri(iri)).toBe(iri);
  });

  test('a term mapped to null or of keyword form is refused with BadRequestData', async () => {
    const cc = await resolver({ allowRemote: false }).compile({ nothing: null }, 't');
    expect(() => cc.expandTerm('nothing')).toThrow(/mapped to null/);
    expect(() => cc.expandTerm('@foo')).toThrow(/keyword/);
  });

  test('invalid @context values are BadRequestData naming the problem', async () => {
    const r = resolver({ allowRemote: false });
    expect((await failure(r.compile([42], 't'))).detail).toMatch(/@context\[0\].*expected a URL, an object or null/);
    expect((await failure(r.compile('relative.jsonld', 't'))).detail).toMatch(/"relative.jsonld" is not an absolute URL/);
    const err = await failure(r.compile({ x: { '@id': 'http://example.org/x', '@container': '@bogus' } }, 't'));
    expect(err.errorType).toBe('BadRequestData');
    expect(err.detail).toMatch(/term "x": invalid @container/);
  });

  test('a context is compiled once and then served from the cache', async () => {
    const r = resolver({ allowRemote: false });
    const value = [{ tX: 'http://example.org/t' }, sdmRawUrl('Transportation')];
    const first = await r.compile(value, 't');
    expect(await r.compile(JSON.parse(JSON.stringify(value)), 't')).toBe(first);
    expect(await r.compile(value, 'other-tenant')).not.toBe(first);
  });
});

describe('remote contexts', () => {
  test('nested remote contexts are fetched (relative URLs resolved), later definitions win', async () => {
    const r = resolver();
    const cc = await r.compile(`${server.base}/a.jsonld`, 't');
    expect(cc.expandTerm('a')).toBe('http://example.org/a');
    expect(cc.expandTerm('b')).toBe('http://example.org/b');
    expect(cc.compactIri('http://example.org/b')).toBe('b');
  });

  test('remote fetching disabled: LdContextNotAvailable naming the URL', async () => {
    const err = await failure(resolver({ allowRemote: false }).compile(`${server.base}/b.jsonld`, 't'));
    expect(err.errorType).toBe('LdContextNotAvailable');
    expect(err.instance).toBe(`${server.base}/b.jsonld`);
    expect(err.detail).toContain(`${server.base}/b.jsonld`);
    expect(err.detail).toMatch(/does not fetch remote contexts/);
  });

  test.each([
    ['/gone.jsonld', /HTTP 404/],
    ['/big.jsonld', /larger than 10000 bytes/],
    ['/text.jsonld', /not valid JSON/],
    ['/array.jsonld', /not a JSON object/],
  ])('%s: LdContextNotAvailable with the cause', async (path, cause) => {
    const err = await failure(resolver().compile(server.base + path, 't'));
    expect(err.errorType).toBe('LdContextNotAvailable');
    expect(err.instance).toBe(server.base + path);
    expect(err.detail).toMatch(cause);
  });

  test('a server that never answers: timeout', async () => {
    const start = Date.now();
    const err = await failure(resolver({ fetchTimeoutMs: 300 }).compile(`${server.base}/slow.jsonld`, 't'));
    expect(err.errorType).toBe('LdContextNotAvailable');
    expect(err.detail).toMatch(/no complete response within 300 ms/);
    expect(Date.now() - start).toBeLessThan(3000);
  });

  test('connection refused and unknown host', async () => {
    const closed = new TestServer();
    await closed.start();
    const url = `${closed.base}/x.jsonld`;
    await closed.stop();
    const refused = await failure(resolver().compile(url, 't'));
    expect(refused.errorType).toBe('LdContextNotAvailable');
    expect(refused.detail).toMatch(/ECONNREFUSED/);
    const unknown = await failure(resolver({ fetchTimeoutMs: 3000 }).compile('http://no-such-host.invalid/ctx.jsonld', 't'));
    expect(unknown.errorType).toBe('LdContextNotAvailable');
    expect(unknown.detail).toContain('http://no-such-host.invalid/ctx.jsonld');
  });

  test('a document without @context is an empty context', async () => {
    const cc = await resolver().compile(`${server.base}/no-context.jsonld`, 't');
    expect(cc.expandTerm('hello')).toBe(`${DEFAULT_VOCAB}hello`);
  });

  test('loops and excessive nesting are rejected', async () => {
    const loop = await failure(resolver().compile(`${server.base}/loop1.jsonld`, 't'));
    expect(loop.errorType).toBe('BadRequestData');
    expect(loop.detail).toMatch(/loop .*loop1\.jsonld -> .*loop2\.jsonld -> .*loop1\.jsonld/);
    const deep = await failure(resolver().compile(`${server.base}/deep0.jsonld`, 't'));
    expect(deep.errorType).toBe('BadRequestData');
    expect(deep.detail).toMatch(/deeper than 10 levels/);
    const ok = await resolver().compile(`${server.base}/deep3.jsonld`, 't');
    expect(ok.expandTerm('d11')).toBe('http://example.org/d11');
  });

  test('documents are cached (LRU of cacheEntries) and fetched once for concurrent requests', async () => {
    const r = resolver({ cacheEntries: 2 });
    const url = (n: string) => `${server.base}/${n}.jsonld`;
    server.hits.clear();
    await Promise.all([r.compile(url('c1'), 't'), r.compile([url('c1'), {}], 't'), r.compile(url('c1'), 't')]);
    expect(server.hits.get('/c1.jsonld')).toBe(1);
    await r.compile(url('c2'), 't');
    await r.compile(url('c1'), 't'); // compiled cache hit, document still cached
    expect(server.hits.get('/c1.jsonld')).toBe(1);
    await r.compile(url('c3'), 't'); // evicts c2 (c1 was used more recently)
    await r.compile(url('c2'), 't'); // refetched, evicts c1
    expect(server.hits.get('/c2.jsonld')).toBe(2);
    await r.compile(url('c1'), 't'); // its document was evicted: refetched and recompiled
    expect(server.hits.get('/c1.jsonld')).toBe(2);
  });

  test('the lookup hook (registered contexts) wins over builtins and the network', async () => {
    const registered = new Map<string, unknown>([
      [`${server.base}/b.jsonld`, { '@context': { b: 'http://registered.example.org/b' } }],
      [sdmRawUrl('Parking'), { '@context': { ParkingSpot: 'http://registered.example.org/ParkingSpot' } }],
    ]);
    const r = resolver({ lookup: (url, tenant) => (tenant === 'reg' ? registered.get(url) : undefined) });
    server.hits.clear();
    expect((await r.compile(`${server.base}/b.jsonld`, 'reg')).expandTerm('b')).toBe('http://registered.example.org/b');
    expect(server.hits.get('/b.jsonld')).toBeUndefined();
    expect((await r.compile(sdmRawUrl('Parking'), 'reg')).expandTerm('ParkingSpot')).toBe('http://registered.example.org/ParkingSpot');
    expect((await r.compile(sdmRawUrl('Parking'), 'other')).expandTerm('ParkingSpot')).toBe(
      'https://smartdatamodels.org/dataModel.Parking/ParkingSpot',
    );
    // a changed registration is picked up although the compiled context was cached
    registered.set(sdmRawUrl('Parking'), { '@context': { ParkingSpot: 'http://registered.example.org/v2' } });
    expect((await r.compile(sdmRawUrl('Parking'), 'reg')).expandTerm('ParkingSpot')).toBe('http://registered.example.org/v2');
  });
});
