/**
 * The authorisation matrix: every role (admin, operator, analyst, data steward, auditor,
 * resident, device, anonymous) against the broker's reads and writes, /auth and /audit, plus
 * cross-tenant attempts, under a tenant policy with public, internal and restricted types and a
 * restricted attribute. Denied data must appear nowhere: not in results, counts, q filters,
 * /types or /attributes, and an invisible entity answers exactly like a missing one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { TestServer } from '../helpers/server.js';
import { bearer, securedServer } from './helpers.js';

type Who = 'admin' | 'operator' | 'analyst' | 'steward' | 'auditor' | 'resident' | 'device' | 'anonymous';
const WHO: Who[] = ['admin', 'operator', 'analyst', 'steward', 'auditor', 'resident', 'device', 'anonymous'];

let server: TestServer;
let dataDir: string;
const headers: Record<Who, Record<string, string>> = {} as never;

const E = {
  weather: 'urn:ngsi-ld:WeatherObserved:w1',
  building: 'urn:ngsi-ld:Building:b1',
  health: 'urn:ngsi-ld:HealthRecord:h1',
  mine: 'urn:ngsi-ld:Complaint:c1',
  theirs: 'urn:ngsi-ld:Complaint:c2',
};

/** Who sees which entity under the policy below. */
const VISIBLE: Record<Who, string[]> = {
  admin: [E.weather, E.building, E.health, E.mine, E.theirs],
  operator: [E.weather, E.building, E.mine, E.theirs],
  analyst: [E.weather, E.building],
  steward: [E.weather, E.building, E.health],
  auditor: [E.weather, E.building],
  resident: [E.weather, E.mine],
  device: [E.weather],
  anonymous: [E.weather],
};

const POLICY = {
  default: { read: 'internal', write: ['admin', 'operator', 'data-steward', 'device'] },
  types: {
    WeatherObserved: { read: 'public' },
    HealthRecord: { read: ['admin', 'data-steward:health'], write: ['admin', 'data-steward:health'] },
    Complaint: { read: ['admin', 'operator'], write: ['admin', 'operator', 'resident'] },
  },
  attributes: { secretNote: ['admin'] },
};

const req = (who: Who, method: string, url: string, body?: unknown, extra: Record<string, string> = {}) =>
  server.request(method, url, { body, headers: { ...headers[who], ...extra } });

const prop = (value: unknown) => ({ type: 'Property', value });
const owner = (id: string) => ({ type: 'Relationship', object: id });

beforeAll(async () => {
  const s = await securedServer();
  server = s.server;
  dataDir = s.dataDir;
  headers.admin = bearer(s.adminKey);
  headers.anonymous = {};
  const key = async (role: string, extra: Record<string, unknown> = {}) => {
    const r = await req('admin', 'POST', '/auth/keys', { name: role, roles: [role], ...extra });
    expect(r.status, r.text).toBe(201);
    return bearer(r.json.key);
  };
  headers.operator = await key('operator');
  headers.analyst = await key('analyst');
  headers.steward = await key('data-steward', { department: 'health' });
  headers.auditor = await key('auditor');
  headers.device = await key('device');
  // The resident signs in with a password: a session cookie.
  expect((await req('admin', 'POST', '/auth/users', { username: 'rita', roles: ['resident'], password: 'rita-has-a-long-password' })).status).toBe(201);
  const login = await req('anonymous', 'POST', '/auth/login', { username: 'rita', password: 'rita-has-a-long-password' });
  expect(login.status, login.text).toBe(200);
  headers.resident = { cookie: login.headers.get('set-cookie')!.split(';')[0] };

  expect((await req('admin', 'PUT', '/auth/policy', POLICY)).status).toBe(204);
  const create = async (entity: Record<string, unknown>) => expect((await req('admin', 'POST', '/ngsi-ld/v1/entities', entity)).status).toBe(201);
  await create({ id: E.weather, type: 'WeatherObserved', temperature: prop(20), secretNote: prop('x') });
  await create({ id: E.building, type: 'Building', height: prop(10), secretNote: prop('x') });
  await create({ id: E.health, type: 'HealthRecord', condition: prop('flu') });
  await create({ id: E.mine, type: 'Complaint', text: prop('noise'), owner: owner('urn:ngsi-ld:Person:rita') });
  await create({ id: E.theirs, type: 'Complaint', text: prop('potholes'), owner: owner('urn:ngsi-ld:Person:someone-else') });
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('reads: results, counts, q, discovery', () => {
  it.each(WHO)('%s sees exactly the entities the policy allows, with a matching count', async (who) => {
    const r = await req(who, 'GET', '/ngsi-ld/v1/entities?local=true&count=true&limit=100');
    expect(r.status, r.text).toBe(200);
    expect(r.json.map((e: { id: string }) => e.id).sort()).toEqual([...VISIBLE[who]].sort());
    expect(r.headers.get('ngsild-results-count')).toBe(String(VISIBLE[who].length));
    // The restricted attribute only for admins, and q on it matches nothing for anyone else.
    const withSecret = r.json.filter((e: Record<string, unknown>) => 'secretNote' in e).length;
    expect(withSecret).toBe(who === 'admin' ? 2 : 0);
    const q = await req(who, 'GET', '/ngsi-ld/v1/entities?q=secretNote==%22x%22&count=true');
    expect(q.headers.get('ngsild-results-count')).toBe(who === 'admin' ? '2' : '0');
    const attrs = await req(who, 'GET', '/ngsi-ld/v1/entities?attrs=secretNote&count=true');
    expect(attrs.headers.get('ngsild-results-count')).toBe(who === 'admin' ? '2' : '0');
  });

  it.each(WHO)('%s: /types and /attributes list only what it may see', async (who) => {
    const types = await req(who, 'GET', '/ngsi-ld/v1/types');
    expect(types.status).toBe(200);
    const expectedTypes = [...new Set(VISIBLE[who].map((id) => id.split(':')[2]))].sort();
    expect(types.json.typeList).toEqual(expectedTypes);
    const details = await req(who, 'GET', '/ngsi-ld/v1/types?details=true');
    for (const t of details.json) expect(t.attributeNames.includes('secretNote')).toBe(who === 'admin' && ['WeatherObserved', 'Building'].includes(t.typeName));
    const attributes = await req(who, 'GET', '/ngsi-ld/v1/attributes');
    expect(attributes.json.attributeList.includes('secretNote')).toBe(who === 'admin');
    expect(attributes.json.attributeList.includes('condition')).toBe(VISIBLE[who].includes(E.health));
    const secret = await req(who, 'GET', '/ngsi-ld/v1/attributes/secretNote');
    expect(secret.status).toBe(who === 'admin' ? 200 : 404);
    const health = await req(who, 'GET', '/ngsi-ld/v1/types/HealthRecord');
    expect(health.status).toBe(VISIBLE[who].includes(E.health) ? 200 : 404);
  });

  it.each(WHO)('%s: an entity it may not see answers exactly like a missing one', async (who) => {
    const missing = await req(who, 'GET', `/ngsi-ld/v1/entities/${encodeURIComponent('urn:ngsi-ld:Thing:missing')}`);
    expect(missing.status).toBe(404);
    for (const id of Object.values(E)) {
      const r = await req(who, 'GET', `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`);
      if (VISIBLE[who].includes(id)) {
        expect(r.status, `${who} ${id}`).toBe(200);
        expect('secretNote' in r.json).toBe(who === 'admin' && (id === E.weather || id === E.building));
      } else {
        expect(r.status, `${who} ${id}`).toBe(404);
        expect(r.json).toEqual({ ...missing.json, detail: missing.json.detail.replace('urn:ngsi-ld:Thing:missing', id), instance: id });
      }
    }
    const batch = await req(who, 'POST', '/ngsi-ld/v1/entityOperations/query?count=true', { type: 'Query', entities: [{ type: 'HealthRecord' }] });
    expect(batch.status).toBe(200);
    expect(batch.headers.get('ngsild-results-count')).toBe(VISIBLE[who].includes(E.health) ? '1' : '0');
  });
});

describe('writes', () => {
  const path = (id: string) => `/ngsi-ld/v1/entities/${encodeURIComponent(id)}`;
  const STATUS: Record<Who, { create: number; building: number; health: number }> = {
    admin: { create: 201, building: 204, health: 204 },
    operator: { create: 201, building: 204, health: 404 },
    analyst: { create: 403, building: 403, health: 404 },
    steward: { create: 201, building: 204, health: 204 },
    auditor: { create: 403, building: 403, health: 404 },
    resident: { create: 403, building: 404, health: 404 },
    device: { create: 201, building: 204, health: 404 },
    anonymous: { create: 401, building: 401, health: 401 },
  };

  it.each(WHO)('%s creates, updates and deletes as the policy says', async (who) => {
    const id = `urn:ngsi-ld:Building:by-${who}`;
    const created = await req(who, 'POST', '/ngsi-ld/v1/entities', { id, type: 'Building', height: prop(1) });
    expect(created.status, created.text).toBe(STATUS[who].create);
    if (created.status >= 400) expect(created.json.type).toBe(`https://uri.etsi.org/ngsi-ld/errors/${created.status === 401 ? 'Unauthorized' : 'Forbidden'}`);
    expect((await req(who, 'PATCH', `${path(E.building)}/attrs`, { height: prop(11) })).status).toBe(STATUS[who].building);
    expect((await req(who, 'PATCH', `${path(E.health)}/attrs`, { condition: prop('better') })).status).toBe(STATUS[who].health);
    const del = await req(who, 'DELETE', path(E.health) + 'x');
    expect(del.status).toBe(who === 'anonymous' ? 401 : 404);
    const batch = await req(who, 'POST', '/ngsi-ld/v1/entityOperations/upsert', [{ id: `urn:ngsi-ld:Building:batch-${who}`, type: 'Building' }]);
    expect(batch.status).toBe(who === 'anonymous' ? 401 : STATUS[who].create === 201 ? 201 : 207);
  });

  it('writing a restricted attribute is refused, and attributes a writer cannot see are kept', async () => {
    // Appending it is refused; updating it finds no such attribute (as if absent): 207, nothing written.
    const r = await req('operator', 'POST', `${path(E.building)}/attrs`, { secretNote: prop('y') });
    expect(r.status).toBe(403);
    expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/Forbidden');
    const update = await req('operator', 'PATCH', `${path(E.building)}/attrs`, { secretNote: prop('y') });
    expect(update.status).toBe(207);
    expect(update.json.notUpdated.map((n: { attributeName: string }) => n.attributeName)).toEqual(['secretNote']);
    expect((await req('operator', 'PUT', path(E.building), { type: 'Building', height: prop(12) })).status).toBe(204);
    const seen = await req('admin', 'GET', path(E.building) + '?options=keyValues');
    expect(seen.json).toMatchObject({ height: 12, secretNote: 'x' });
    expect((await req('admin', 'PATCH', `${path(E.building)}/attrs`, { secretNote: prop('z') })).status).toBe(204);
  });

  it('residents write only their own records', async () => {
    const me = 'urn:ngsi-ld:Person:rita';
    expect((await req('resident', 'POST', '/ngsi-ld/v1/entities', { id: 'urn:ngsi-ld:Complaint:c3', type: 'Complaint', owner: owner(me) })).status).toBe(201);
    const forOther = await req('resident', 'POST', '/ngsi-ld/v1/entities', { id: 'urn:ngsi-ld:Complaint:c4', type: 'Complaint', owner: owner('urn:ngsi-ld:Person:x') });
    expect(forOther.status).toBe(403);
    expect((await req('resident', 'PATCH', `${path(E.mine)}/attrs`, { text: prop('loud noise') })).status).toBe(204);
    expect((await req('resident', 'PATCH', `${path(E.theirs)}/attrs`, { text: prop('mine now') })).status).toBe(404);
    // Giving the record away is a write of a record the resident would not own.
    expect((await req('resident', 'PATCH', `${path(E.mine)}/attrs`, { owner: owner('urn:ngsi-ld:Person:x') })).status).toBe(403);
    expect((await req('operator', 'GET', path('urn:ngsi-ld:Complaint:c3'))).status).toBe(200);
  });
});

describe('every other write operation of the broker', () => {
  const WRITER: Record<Who, 'writer' | 'reader' | 'none' | 'anonymous'> = {
    admin: 'writer', operator: 'writer', steward: 'writer', device: 'writer',
    analyst: 'reader', auditor: 'reader', resident: 'none', anonymous: 'anonymous',
  };
  /** What a caller gets on an existing internal entity: done, 403 (it may see it), 404 (it may not), 401. */
  const onExisting = (who: Who, ok: number) => ({ writer: ok, reader: 403, none: 404, anonymous: 401 })[WRITER[who]];

  it.each(WHO)('%s: merge, partial update, append, delete attribute, delete entity', async (who) => {
    const id = `urn:ngsi-ld:Building:m-${who}`;
    const p = `/ngsi-ld/v1/entities/${id}`;
    expect((await req('admin', 'POST', '/ngsi-ld/v1/entities', { id, type: 'Building', height: prop(1), floors: prop(2) })).status).toBe(201);
    expect((await req(who, 'PATCH', p, { height: prop(2) })).status, 'merge').toBe(onExisting(who, 204));
    expect((await req(who, 'PATCH', `${p}/attrs/height`, { value: 3 })).status, 'partial').toBe(onExisting(who, 204));
    expect((await req(who, 'POST', `${p}/attrs`, { colour: prop('red') })).status, 'append').toBe(onExisting(who, 204));
    expect((await req(who, 'DELETE', `${p}/attrs/floors`)).status, 'delete attribute').toBe(onExisting(who, 204));
    expect((await req(who, 'DELETE', p)).status, 'delete').toBe(onExisting(who, 204));
    const after = await req('admin', 'GET', `${p}?options=keyValues`);
    if (WRITER[who] === 'writer') expect(after.status).toBe(404);
    else expect(after.json).toEqual({ id, type: 'Building', height: 1, floors: 2 });
  });

  it.each(WHO)('%s: batch create, update and delete', async (who) => {
    const id = `urn:ngsi-ld:Building:batch2-${who}`;
    const create = await req(who, 'POST', '/ngsi-ld/v1/entityOperations/create', [{ id, type: 'Building' }]);
    const update = await req(who, 'POST', '/ngsi-ld/v1/entityOperations/update', [{ id: E.building, type: 'Building', height: prop(20) }]);
    const del = await req(who, 'POST', '/ngsi-ld/v1/entityOperations/delete', [id]);
    if (who === 'anonymous') return expect([create.status, update.status, del.status]).toEqual([401, 401, 401]);
    const writer = WRITER[who] === 'writer';
    expect(create.status).toBe(writer ? 201 : 207);
    if (!writer) expect(create.json.errors[0].error.type).toBe('https://uri.etsi.org/ngsi-ld/errors/Forbidden');
    expect(update.status).toBe(writer ? 204 : 207);
    if (!writer) expect(update.json.errors[0].error.status).toBe(WRITER[who] === 'reader' ? 403 : 404);
    // Deleting an entity that (for non-writers) was never created: the same 404 for everyone.
    expect(del.status).toBe(writer ? 204 : 207);
    if (!writer) expect(del.json.errors[0].error.status).toBe(404);
  });

  it.each(WHO)('%s: JSON-LD contexts', async (who) => {
    const ctx = { '@context': { Bridge: `https://example.org/Bridge-${who}` } };
    const r = await req(who, 'POST', '/ngsi-ld/v1/jsonldContexts', ctx);
    const allowed = ['admin', 'operator', 'steward'].includes(who);
    expect(r.status).toBe(allowed ? 201 : who === 'anonymous' ? 401 : 403);
    expect((await req(who, 'GET', '/ngsi-ld/v1/jsonldContexts')).status).toBe(200);
    if (allowed) expect((await req(who, 'DELETE', r.headers.get('location')!.replace(/^.*\/ngsi-ld\/v1/, '/ngsi-ld/v1'))).status).toBe(204);
  });
});

describe('routes of /auth, /audit, unknown routes, scopes and tenants', () => {
  const CASES: Array<[string, string, Record<Who, number>]> = [
    ['GET', '/auth/users', { admin: 200, operator: 403, analyst: 403, steward: 403, auditor: 403, resident: 403, device: 403, anonymous: 401 }],
    ['GET', '/auth/keys', { admin: 200, operator: 403, analyst: 403, steward: 403, auditor: 403, resident: 403, device: 403, anonymous: 401 }],
    ['GET', '/auth/policy', { admin: 200, operator: 200, analyst: 200, steward: 200, auditor: 200, resident: 403, device: 403, anonymous: 401 }],
    ['GET', '/auth/me', { admin: 200, operator: 200, analyst: 200, steward: 200, auditor: 200, resident: 200, device: 200, anonymous: 401 }],
    ['GET', '/audit/records', { admin: 403, operator: 403, analyst: 403, steward: 403, auditor: 200, resident: 403, device: 403, anonymous: 401 }],
    ['GET', '/audit/verify', { admin: 403, operator: 403, analyst: 403, steward: 403, auditor: 200, resident: 403, device: 403, anonymous: 401 }],
    ['GET', '/no/such/route', { admin: 403, operator: 403, analyst: 403, steward: 403, auditor: 403, resident: 403, device: 403, anonymous: 401 }],
    ['GET', '/health', { admin: 200, operator: 200, analyst: 200, steward: 200, auditor: 200, resident: 200, device: 200, anonymous: 200 }],
    ['GET', '/openapi.json', { admin: 200, operator: 200, analyst: 200, steward: 200, auditor: 200, resident: 200, device: 200, anonymous: 200 }],
  ];
  it.each(CASES)('%s %s', async (method, url, expected) => {
    for (const who of WHO) expect((await req(who, method, url)).status, who).toBe(expected[who]);
  });

  // Routes of other features: only whether the table lets the call through (not 401/403) or not.
  const STAFF: Who[] = ['admin', 'operator', 'analyst', 'steward', 'auditor'];
  const FEATURES: Array<[string, string, Who[]]> = [
    ['GET', '/ngsi-ld/v1/temporal/entities?type=Building', WHO],
    ['GET', '/ngsi-ld/v1/subscriptions', STAFF],
    ['GET', '/iot/services', ['admin', 'operator']],
    ['GET', '/iot/devices', ['admin', 'operator']],
    ['GET', '/city/geography', WHO],
  ];
  it.each(FEATURES)('%s %s', async (method, url, allowed) => {
    for (const who of WHO) {
      const status = (await req(who, method, url)).status;
      if (allowed.includes(who)) expect([401, 403], `${who}: ${status}`).not.toContain(status);
      else expect(status, who).toBe(who === 'anonymous' ? 401 : 403);
    }
  });

  it('only admins change the policy', async () => {
    for (const who of WHO.filter((w) => w !== 'admin')) expect((await req(who, 'PUT', '/auth/policy', POLICY)).status, who).toBe(who === 'anonymous' ? 401 : 403);
  });

  it('a principal of one tenant cannot act on another tenant', async () => {
    const other = { 'NGSILD-Tenant': 'other' };
    expect((await req('admin', 'POST', '/ngsi-ld/v1/entities', { id: 'urn:ngsi-ld:Building:x', type: 'Building' }, other)).status).toBe(403);
    for (const who of WHO.filter((w) => w !== 'anonymous')) {
      expect((await req(who, 'GET', '/ngsi-ld/v1/entities?local=true', undefined, other)).status, who).toBe(403);
    }
    // An account of tenant "other" cannot read the default tenant.
    const k = await req('admin', 'GET', '/auth/me');
    expect(k.json.tenant).toBe('');
  });

  it('an API key is limited to its scopes', async () => {
    const ro = await req('admin', 'POST', '/auth/keys', { name: 'read only', roles: ['operator'], scopes: ['read'] });
    const h = bearer(ro.json.key);
    expect((await server.request('GET', '/ngsi-ld/v1/entities?local=true', { headers: h })).status).toBe(200);
    expect((await server.request('POST', '/ngsi-ld/v1/entityOperations/query', { headers: h, body: { type: 'Query', entities: [{ type: 'Building' }] } })).status).toBe(200);
    expect((await server.request('POST', '/ngsi-ld/v1/entities', { headers: h, body: { id: 'urn:ngsi-ld:Building:ro', type: 'Building' } })).status).toBe(403);
  });

  it('a revoked or made-up key is refused with 401', async () => {
    const k = await req('admin', 'POST', '/auth/keys', { name: 'short-lived', roles: ['operator'] });
    expect((await server.request('GET', '/auth/me', { headers: bearer(k.json.key) })).status).toBe(200);
    expect((await req('admin', 'DELETE', `/auth/keys/${k.json.id}`)).status).toBe(204);
    const revoked = await server.request('GET', '/auth/me', { headers: bearer(k.json.key) });
    expect(revoked.status).toBe(401);
    expect(revoked.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/Unauthorized');
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await server.request('GET', '/auth/me', { headers: bearer('urbis_0123456789abcdef_notthesecretnotthesecret') })).status).toBe(401);
  });
});
