/**
 * Identity, access control, the audit log and the device gateway on two Urbis nodes sharing one
 * PostgreSQL database, through their HTTP APIs: a policy saved on one node governs the other, a
 * key revoked or an account disabled on one node is refused at once by the other, devices
 * provisioned on one node are served by the other, and both nodes write one audit chain that
 * verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearer, securedServer } from '../identity/helpers.js';

let a: TestServer;
let b: TestServer;
let dataDir: string;
let admin: Record<string, string>;

async function until(what: string, test: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  const s = await securedServer();
  a = s.server;
  dataDir = s.dataDir;
  admin = bearer(s.adminKey);
  // The second node: the same database (the data directory names it), its own process state.
  b = await startServer({ open: false, dataDir });
  expect(b.urbis.stores.bus.nodeId).not.toBe(a.urbis.stores.bus.nodeId);
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('two nodes on one database', () => {
  it('a policy saved on one node governs what the other serves', async () => {
    const created = await a.request('POST', '/ngsi-ld/v1/entities', { headers: admin, body: { id: 'urn:ngsi-ld:WeatherObserved:w1', type: 'WeatherObserved', temperature: { type: 'Property', value: 11 } } });
    expect(created.status, created.text).toBe(201);
    // Internal by default: anonymous callers do not see it on either node.
    expect((await b.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:WeatherObserved:w1')).status).toBe(404);
    const put = await a.request('PUT', '/auth/policy', { headers: admin, body: { types: { WeatherObserved: { read: 'public' } } } });
    expect(put.status, put.text).toBe(204);
    await until('node b to apply the policy', async () => (await b.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:WeatherObserved:w1')).status === 200);
    const policy = await b.request('GET', '/auth/policy', { headers: admin });
    expect(policy.json.types).toEqual({ WeatherObserved: { read: 'public' } });
  });

  it('a key revoked on one node is refused by the other at once', async () => {
    const k = await a.request('POST', '/auth/keys', { headers: admin, body: { name: 'field laptop', roles: ['operator'] } });
    expect(k.status, k.text).toBe(201);
    expect((await b.request('GET', '/auth/me', { headers: bearer(k.json.key) })).status).toBe(200);
    expect((await a.request('DELETE', `/auth/keys/${k.json.id}`, { headers: admin })).status).toBe(204);
    const after = await b.request('GET', '/auth/me', { headers: bearer(k.json.key) });
    expect(after.status).toBe(401);
    expect(after.json.detail).toMatch(/revoked/);
  });

  it('an account disabled on one node loses its session on the other at once', async () => {
    const password = 'nora-has-a-long-password';
    expect((await a.request('POST', '/auth/users', { headers: admin, body: { username: 'nora', roles: ['analyst'], password } })).status).toBe(201);
    const login = await b.request('POST', '/auth/login', { body: { username: 'nora', password } });
    expect(login.status, login.text).toBe(200);
    const cookie = { cookie: login.headers.get('set-cookie')!.split(';')[0] };
    expect((await b.request('GET', '/auth/me', { headers: cookie })).json.subject).toBe('nora');
    expect((await a.request('PATCH', '/auth/users/nora', { headers: admin, body: { disabled: true } })).status).toBe(204);
    expect((await b.request('GET', '/auth/me', { headers: cookie })).status).toBe(401);
    expect((await b.request('POST', '/auth/login', { body: { username: 'nora', password } })).status).toBe(401);
  });

  it('devices provisioned on one node are served by the other, and deleted from it', async () => {
    const svc = await a.request('POST', '/iot/services', { headers: admin, body: { services: [{ apikey: 'shared-key', entity_type: 'Thermometer', attributes: [{ object_id: 't', name: 'temperature', type: 'Number' }] }] } });
    expect(svc.status, svc.text).toBe(201);
    expect((await a.request('POST', '/iot/devices', { headers: admin, body: { devices: [{ device_id: 'th9', apikey: 'shared-key' }] } })).status).toBe(201);
    const measure = () => b.request('POST', '/iot/ul?k=shared-key&i=th9', { rawBody: 't|19.5', headers: { 'content-type': 'text/plain' } });
    await until('node b to know the device', async () => (await measure()).status < 300);
    const entity = await b.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:Thermometer:th9?options=keyValues', { headers: admin });
    expect(entity.json.temperature).toBe(19.5);
    expect((await b.request('GET', '/iot/devices/th9', { headers: admin })).status).toBe(200);
    expect((await a.request('DELETE', '/iot/devices/th9', { headers: admin })).status).toBe(204);
    await until('node b to forget the device', async () => (await measure()).status === 404);
  });

  it('both nodes write one audit chain, which verifies', async () => {
    const writes = [];
    for (let i = 0; i < 30; i++) {
      for (const [node, name] of [
        [a, 'a'],
        [b, 'b'],
      ] as const) {
        writes.push(node.request('POST', '/ngsi-ld/v1/entities', { headers: admin, body: { id: `urn:ngsi-ld:Building:${name}${i}`, type: 'Building' } }));
      }
    }
    expect((await Promise.all(writes)).map((r) => r.status)).toEqual(writes.map(() => 201));
    const key = await a.request('POST', '/auth/keys', { headers: admin, body: { name: 'auditor', roles: ['auditor'] } });
    const auditor = bearer(key.json.key);
    const all = await b.request('GET', '/audit/records?limit=1000', { headers: auditor });
    expect(all.status, all.text).toBe(200);
    expect(all.json.records.map((r: { seq: number }) => r.seq)).toEqual(all.json.records.map((_: unknown, i: number) => i + 1));
    const created = all.json.records.filter((r: { operation: string }) => r.operation === 'entity.create').map((r: { resource: string }) => r.resource);
    for (let i = 0; i < 30; i++) expect(created).toEqual(expect.arrayContaining([`urn:ngsi-ld:Building:a${i}`, `urn:ngsi-ld:Building:b${i}`]));
    for (const node of [a, b]) {
      const v = await node.request('GET', '/audit/verify', { headers: auditor });
      expect(v.json).toMatchObject({ ok: true });
      // Records a node queued for its next batch (within 200 ms) may have joined since.
      expect(v.json.checked).toBeGreaterThanOrEqual(all.json.total);
    }
  });
});
