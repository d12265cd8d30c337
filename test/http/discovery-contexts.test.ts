import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, CORE_V19, linkHeader, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
  const r = await s.request('POST', `${API}/entityOperations/create`, {
    body: [
      { id: 'urn:ngsi-ld:Bus:1', type: 'Bus', speed: 30, route: { type: 'Relationship', object: 'urn:ngsi-ld:Route:1' } },
      { id: 'urn:ngsi-ld:Bus:2', type: 'Bus', speed: 25 },
      { id: 'urn:ngsi-ld:Stop:1', type: 'Stop', name: 'Centre', location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } } },
    ],
  });
  expect(r.status).toBe(201);
});
afterAll(async () => {
  await s.close();
});

describe('discovery: /types and /attributes', () => {
  it('lists types', async () => {
    const r = await s.request('GET', `${API}/types`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ type: 'EntityTypeList', typeList: ['Bus', 'Stop'] });
    expect(r.json.id).toMatch(/^urn:ngsi-ld:EntityTypeList:/);
    const details = await s.request('GET', `${API}/types?details=true`);
    expect(details.json).toContainEqual({
      id: 'https://uri.etsi.org/ngsi-ld/default-context/Bus',
      type: 'EntityType',
      typeName: 'Bus',
      attributeNames: ['route', 'speed'],
    });
  });

  it('describes one type', async () => {
    const r = await s.request('GET', `${API}/types/Bus`);
    expect(r.json).toMatchObject({ type: 'EntityTypeInfo', typeName: 'Bus', entityCount: 2 });
    expect(r.json.attributeDetails).toContainEqual({
      id: 'https://uri.etsi.org/ngsi-ld/default-context/route',
      type: 'Attribute',
      attributeName: 'route',
      attributeTypes: ['Relationship'],
    });
    expect((await s.request('GET', `${API}/types/Tram`)).status).toBe(404);
  });

  it('lists and describes attributes', async () => {
    const r = await s.request('GET', `${API}/attributes`);
    expect(r.json).toMatchObject({ type: 'AttributeList', attributeList: ['location', 'name', 'route', 'speed'] });
    const speed = await s.request('GET', `${API}/attributes/speed`);
    expect(speed.json).toMatchObject({ type: 'Attribute', attributeName: 'speed', attributeCount: 2, attributeTypes: ['Property'], typeNames: ['Bus'] });
    const details = await s.request('GET', `${API}/attributes?details=true`);
    expect(details.json.map((a: { attributeName: string }) => a.attributeName)).toEqual(['location', 'name', 'route', 'speed']);
    expect((await s.request('GET', `${API}/attributes/colour`)).status).toBe(404);
  });

  it('compacts type and attribute names with the request context', async () => {
    // The context maps the short names to other IRIs: nothing of the default vocabulary matches.
    const link = linkHeader('https://smart-data-models.github.io/dataModel.Transportation/context.jsonld');
    const r = await s.request('GET', `${API}/types`, { headers: { link } });
    expect(r.json.typeList).toEqual(['Bus', 'Stop']);
  });
});

describe('/jsonldContexts', () => {
  let remote: Server;
  let remoteUrl: string;
  beforeAll(async () => {
    remote = createServer((_req, res) => {
      res.setHeader('content-type', 'application/ld+json');
      res.end(JSON.stringify({ '@context': { speed: 'https://example.org/remote#speed' } }));
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    remoteUrl = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/ctx.jsonld`;
  });
  afterAll(() => new Promise<void>((r) => remote.close(() => r())));

  it('registers, serves, uses, lists and deletes a context', async () => {
    const ctx = { '@context': { velocity: 'https://uri.etsi.org/ngsi-ld/default-context/speed' } };
    const created = await s.request('POST', `${API}/jsonldContexts`, { body: ctx });
    expect(created.status).toBe(201);
    const url = created.headers.get('location')!;
    expect(url).toMatch(/\/ngsi-ld\/v1\/jsonldContexts\/[0-9a-f-]+$/);
    const served = await fetch(url);
    expect(served.headers.get('content-type')).toMatch(/application\/ld\+json/);
    expect(await served.json()).toEqual(ctx);
    // The registered context resolves locally: `velocity` is the alias of `speed`.
    const bus = await s.request('GET', `${API}/entities/urn:ngsi-ld:Bus:1?options=keyValues`, { headers: { link: linkHeader(url) } });
    expect(bus.json.velocity).toBe(30);
    const list = await s.request('GET', `${API}/jsonldContexts`);
    expect(list.json).toContain(url);
    expect(list.json).toContain(CORE_V19);
    const hosted = await s.request('GET', `${API}/jsonldContexts?kind=Hosted&details=true`);
    expect(hosted.json).toEqual([expect.objectContaining({ url, kind: 'Hosted' })]);
    const id = url.split('/').pop()!;
    expect((await s.request('DELETE', `${API}/jsonldContexts/${id}`)).status).toBe(204);
    expect((await s.request('GET', `${API}/jsonldContexts/${id}`)).status).toBe(404);
    const gone = await s.request('GET', `${API}/entities/urn:ngsi-ld:Bus:1`, { headers: { link: linkHeader(url) } });
    expect(gone.status).toBe(503);
    expect(gone.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable');
  });

  it('keeps contexts per tenant', async () => {
    const created = await s.request('POST', `${API}/jsonldContexts`, { body: { '@context': { x: 'https://example.org/x' } }, headers: { 'NGSILD-Tenant': 'other' } });
    const url = created.headers.get('location')!;
    expect((await s.request('GET', `${API}/jsonldContexts`)).json).not.toContain(url);
  });

  it('serves the preloaded contexts and refuses to delete them', async () => {
    const core = await s.request('GET', `${API}/jsonldContexts/${encodeURIComponent(CORE_V19)}`);
    expect(core.status).toBe(200);
    expect(core.json['@context']['@vocab']).toBe('https://uri.etsi.org/ngsi-ld/default-context/');
    expect((await s.request('DELETE', `${API}/jsonldContexts/${encodeURIComponent(CORE_V19)}`)).status).toBe(400);
  });

  it('rejects a registration without @context', async () => {
    const r = await s.request('POST', `${API}/jsonldContexts`, { body: { speed: 'x' } });
    expect(r.status).toBe(400);
  });

  it('does not fetch unknown contexts unless allowed', async () => {
    const r = await s.request('GET', `${API}/entities/urn:ngsi-ld:Bus:1`, { headers: { link: linkHeader(remoteUrl) } });
    expect(r.status).toBe(503);
    expect(r.json.detail).toContain(remoteUrl);
    const open = await startServer({ remoteContexts: true });
    try {
      await open.request('POST', `${API}/entities`, { body: { id: 'urn:ngsi-ld:Bus:9', type: 'Bus', speed: 5 }, headers: { link: linkHeader(remoteUrl) } });
      const got = await open.request('GET', `${API}/entities/urn:ngsi-ld:Bus:9?options=keyValues`);
      expect(got.json['https://example.org/remote#speed']).toBe(5);
    } finally {
      await open.close();
    }
  });
});
