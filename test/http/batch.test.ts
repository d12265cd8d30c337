import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s.close();
});

const E = (id: string) => `${API}/entities/${encodeURIComponent(id)}`;
const lamp = (n: number, extra: Record<string, unknown> = {}) => ({ id: `urn:ngsi-ld:Streetlight:${n}`, type: 'Streetlight', powerState: 'on', ...extra });

describe('POST /entityOperations/create', () => {
  it('creates all entities: 201 with their ids', async () => {
    const r = await s.request('POST', `${API}/entityOperations/create`, { body: [lamp(1), lamp(2)] });
    expect(r.status).toBe(201);
    expect(r.json).toEqual(['urn:ngsi-ld:Streetlight:1', 'urn:ngsi-ld:Streetlight:2']);
  });

  it('reports each failing entity in a 207 BatchOperationResult and writes the others whole', async () => {
    const r = await s.request('POST', `${API}/entityOperations/create`, {
      body: [lamp(1), lamp(3), { id: 'urn:ngsi-ld:Streetlight:4', type: 'Streetlight', bad: { type: 'Property' } }, { id: 'nope', type: 'X' }],
    });
    expect(r.status).toBe(207);
    expect(r.json.success).toEqual(['urn:ngsi-ld:Streetlight:3']);
    const errors = Object.fromEntries(r.json.errors.map((e: { entityId: string; error: { type: string } }) => [e.entityId, e.error.type]));
    expect(errors).toEqual({
      'urn:ngsi-ld:Streetlight:1': 'https://uri.etsi.org/ngsi-ld/errors/AlreadyExists',
      'urn:ngsi-ld:Streetlight:4': 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
      nope: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
    });
    expect((await s.request('GET', E('urn:ngsi-ld:Streetlight:4'))).status).toBe(404);
    expect((await s.request('GET', E('urn:ngsi-ld:Streetlight:3'))).status).toBe(200);
  });

  it('rejects a body that is not a non-empty array', async () => {
    expect((await s.request('POST', `${API}/entityOperations/create`, { body: lamp(9) })).status).toBe(400);
    expect((await s.request('POST', `${API}/entityOperations/create`, { body: [] })).status).toBe(400);
  });

  it('reads each entity of an application/ld+json batch with its own @context', async () => {
    const ctxA = { '@context': { brightness: 'https://example.org/a#brightness' } };
    const ctxB = { '@context': { brightness: 'https://example.org/b#brightness' } };
    const r = await s.request('POST', `${API}/entityOperations/create`, {
      headers: { 'content-type': 'application/ld+json' },
      body: [
        { id: 'urn:ngsi-ld:Streetlight:ld1', type: 'Streetlight', brightness: 10, '@context': ctxA['@context'] },
        { id: 'urn:ngsi-ld:Streetlight:ld2', type: 'Streetlight', brightness: 20, '@context': ctxB['@context'] },
      ],
    });
    expect(r.status, r.text).toBe(201);
    const got = await s.request('GET', `${E('urn:ngsi-ld:Streetlight:ld1')}?options=keyValues`);
    expect(got.json['https://example.org/a#brightness']).toBe(10);
  });
});

describe('POST /entityOperations/upsert', () => {
  it('creates missing entities (201 with the created ids) and replaces existing ones', async () => {
    const r = await s.request('POST', `${API}/entityOperations/upsert`, { body: [lamp(2, { extra: 1 }), lamp(10)] });
    expect(r.status).toBe(201);
    expect(r.json).toEqual(['urn:ngsi-ld:Streetlight:10']);
    expect((await s.request('GET', `${E('urn:ngsi-ld:Streetlight:2')}?options=keyValues`)).json.extra).toBe(1);
    const replaced = await s.request('POST', `${API}/entityOperations/upsert`, { body: [{ id: 'urn:ngsi-ld:Streetlight:2', type: 'Streetlight', other: 2 }] });
    expect(replaced.status).toBe(204);
    const kv = (await s.request('GET', `${E('urn:ngsi-ld:Streetlight:2')}?options=keyValues`)).json;
    expect(kv.extra).toBeUndefined();
    expect(kv.other).toBe(2);
  });

  it('with options=update keeps the attributes it does not mention', async () => {
    const r = await s.request('POST', `${API}/entityOperations/upsert?options=update`, { body: [{ id: 'urn:ngsi-ld:Streetlight:2', type: 'Streetlight', more: 3 }] });
    expect(r.status).toBe(204);
    const kv = (await s.request('GET', `${E('urn:ngsi-ld:Streetlight:2')}?options=keyValues`)).json;
    expect(kv).toMatchObject({ other: 2, more: 3 });
  });
});

describe('POST /entityOperations/update and /delete', () => {
  it('updates existing entities and reports missing ones', async () => {
    const r = await s.request('POST', `${API}/entityOperations/update`, {
      body: [{ id: 'urn:ngsi-ld:Streetlight:1', powerState: 'off' }, { id: 'urn:ngsi-ld:Streetlight:404', powerState: 'off' }],
    });
    expect(r.status).toBe(207);
    expect(r.json.success).toEqual(['urn:ngsi-ld:Streetlight:1']);
    expect(r.json.errors[0]).toMatchObject({ entityId: 'urn:ngsi-ld:Streetlight:404', error: { status: 404 } });
    expect((await s.request('GET', `${E('urn:ngsi-ld:Streetlight:1')}?options=keyValues`)).json.powerState).toBe('off');
    const kept = await s.request('POST', `${API}/entityOperations/update?options=noOverwrite`, { body: [{ id: 'urn:ngsi-ld:Streetlight:1', powerState: 'on' }] });
    expect(kept.status).toBe(207);
    expect((await s.request('GET', `${E('urn:ngsi-ld:Streetlight:1')}?options=keyValues`)).json.powerState).toBe('off');
  });

  it('deletes entities by id: 204, or 207 naming the missing ones', async () => {
    const ok = await s.request('POST', `${API}/entityOperations/delete`, { body: ['urn:ngsi-ld:Streetlight:1', 'urn:ngsi-ld:Streetlight:3'] });
    expect(ok.status).toBe(204);
    const partial = await s.request('POST', `${API}/entityOperations/delete`, { body: ['urn:ngsi-ld:Streetlight:2', 'urn:ngsi-ld:Streetlight:1'] });
    expect(partial.status).toBe(207);
    expect(partial.json.success).toEqual(['urn:ngsi-ld:Streetlight:2']);
    expect(partial.json.errors).toEqual([
      { entityId: 'urn:ngsi-ld:Streetlight:1', error: expect.objectContaining({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound' }) },
    ]);
  });
});
