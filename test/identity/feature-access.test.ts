/**
 * Access control beyond the broker's own queries: notifications and the temporal API show a
 * caller only what the tenant's policy lets it read. Under a policy with a restricted type
 * (Patient) and a restricted attribute (secretNote), an analyst's subscriptions never carry the
 * attribute (not in data, not as a previous value), never notify the type, and q /
 * watchedAttributes on the attribute behave as if it were absent, while an admin's subscriptions
 * get everything; the analyst's and anonymous callers' history reads leave out the same data,
 * with counts, q and attrs to match, and a hidden temporal entity answers like a missing one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../subscriptions/receiver.js';
import { bearer, securedServer } from './helpers.js';

type Who = 'admin' | 'analyst' | 'resident' | 'anonymous';

let server: TestServer;
let dataDir: string;
let receiver: Receiver;
const headers: Record<Who, Record<string, string>> = {} as never;

const API = '/ngsi-ld/v1';
const B1 = 'urn:ngsi-ld:Building:b1';
const P1 = 'urn:ngsi-ld:Patient:p1';
const W1 = 'urn:ngsi-ld:WeatherObserved:w1';
const C1 = 'urn:ngsi-ld:Complaint:c1';
const C2 = 'urn:ngsi-ld:Complaint:c2';

const POLICY = {
  default: { read: 'internal', write: ['admin', 'operator', 'data-steward', 'device'] },
  types: {
    WeatherObserved: { read: 'public' },
    Patient: { read: ['admin'], write: ['admin'] },
    Complaint: { read: ['admin', 'operator'], write: ['admin', 'operator', 'resident'] },
  },
  attributes: { secretNote: ['admin'] },
};

const req = (who: Who, method: string, url: string, body?: unknown) => server.request(method, url, { body, headers: headers[who] });
const prop = (value: unknown) => ({ type: 'Property', value });

async function ok(who: Who, method: string, url: string, body?: unknown): Promise<void> {
  const r = await req(who, method, url, body);
  expect(r.status, `${method} ${url}: ${r.text}`).toBeLessThan(300);
}

/** Creates a subscription of `who` notifying `<receiver>/<path>`. */
async function subscribe(who: Who, path: string, members: Record<string, unknown>, notification: Record<string, unknown> = {}): Promise<void> {
  const r = await req(who, 'POST', `${API}/subscriptions`, { type: 'Subscription', ...members, notification: { ...notification, endpoint: { uri: `${receiver.url}/${path}` } } });
  expect(r.status, r.text).toBe(201);
}

const dataAt = (path: string) => receiver.received.filter((r) => r.path === `/notify/${path}`).flatMap((r) => r.body.data);
/** Waits for the sentinel change (height 99 of b1); queues are FIFO, so everything queued before it has arrived. */
const untilSentinel = (path: string) =>
  receiver.waitFor(() => dataAt(path).some((d: any) => d.id === B1 && d.height?.value === 99), 15_000, `the sentinel at ${path}`).then(() => dataAt(path));

beforeAll(async () => {
  const s = await securedServer();
  server = s.server;
  dataDir = s.dataDir;
  receiver = await startReceiver();
  headers.admin = bearer(s.adminKey);
  headers.anonymous = {};
  const key = await req('admin', 'POST', '/auth/keys', { name: 'analyst', roles: ['analyst'] });
  expect(key.status, key.text).toBe(201);
  headers.analyst = bearer(key.json.key);
  expect((await req('admin', 'POST', '/auth/users', { username: 'rita', roles: ['resident'], password: 'rita-has-a-long-password' })).status).toBe(201);
  const login = await req('anonymous', 'POST', '/auth/login', { username: 'rita', password: 'rita-has-a-long-password' });
  expect(login.status, login.text).toBe(200);
  headers.resident = { cookie: login.headers.get('set-cookie')!.split(';')[0] };
  expect((await req('admin', 'PUT', '/auth/policy', POLICY)).status).toBe(204);

  // Change-driven subscriptions, the same for the analyst and the admin.
  for (const who of ['analyst', 'admin'] as const) {
    await subscribe(who, `${who}-all`, { entities: [{ type: 'Building' }, { type: 'Patient' }] }, { showChanges: true });
    await subscribe(who, `${who}-q`, { entities: [{ type: 'Building' }], q: 'secretNote|height==99' });
    await subscribe(who, `${who}-watched`, { entities: [{ type: 'Building' }], watchedAttributes: ['secretNote', 'height'], notificationTrigger: ['attributeUpdated'] });
  }

  await ok('admin', 'POST', `${API}/entities`, { id: B1, type: 'Building', height: prop(10), secretNote: prop('x') });
  await ok('admin', 'POST', `${API}/entities`, { id: P1, type: 'Patient', condition: prop('flu') });
  await ok('admin', 'POST', `${API}/entities`, { id: W1, type: 'WeatherObserved', temperature: prop(20), secretNote: prop('y') });
  await ok('admin', 'POST', `${API}/entities`, { id: C1, type: 'Complaint', text: prop('noise'), owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:rita' } });
  await ok('admin', 'POST', `${API}/entities`, { id: C2, type: 'Complaint', text: prop('potholes'), owner: { type: 'Relationship', object: 'urn:ngsi-ld:Person:sam' } });
  await ok('admin', 'PATCH', `${API}/entities/${B1}/attrs`, { secretNote: prop('z') }); // only the hidden attribute
  await ok('admin', 'PATCH', `${API}/entities/${B1}/attrs`, { height: prop(11), secretNote: prop('w') });
  await ok('admin', 'PATCH', `${API}/entities/${P1}/attrs`, { condition: prop('cold') });
  await ok('admin', 'PATCH', `${API}/entities/${B1}/attrs`, { height: prop(99) }); // the sentinel
});

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('notifications carry only what the subscriber may read', () => {
  it("the analyst's subscription: no restricted attribute (data or previous value), no restricted type", async () => {
    const data = await untilSentinel('analyst-all');
    expect(data.map((d: any) => [d.id, d.height?.value, d.height?.previousValue])).toEqual([
      [B1, 10, undefined],
      [B1, 11, 10],
      [B1, 99, 11],
    ]);
    const text = JSON.stringify(data);
    expect(text).not.toContain('secretNote');
    expect(text).not.toContain('Patient');
  });

  it("the admin's subscription gets everything, with previous values of the restricted attribute", async () => {
    const data = await untilSentinel('admin-all');
    expect(data.map((d: any) => d.id)).toEqual([B1, P1, B1, B1, P1, B1]);
    expect(data[2].secretNote).toMatchObject({ value: 'z', previousValue: 'x' });
    expect(data[3].secretNote).toMatchObject({ value: 'w', previousValue: 'z' });
    expect(data[4].condition).toMatchObject({ value: 'cold', previousValue: 'flu' });
  });

  it('q on the restricted attribute never matches for the analyst; it does for the admin', async () => {
    const analyst = await untilSentinel('analyst-q');
    expect(analyst.map((d: any) => d.height.value)).toEqual([99]);
    expect(JSON.stringify(analyst)).not.toContain('secretNote');
    const admin = await untilSentinel('admin-q');
    expect(admin.map((d: any) => d.secretNote.value)).toEqual(['x', 'z', 'w', 'w']);
  });

  it('watchedAttributes: a change of only the restricted attribute does not notify the analyst', async () => {
    const analyst = await untilSentinel('analyst-watched');
    expect(analyst.map((d: any) => d.height.value)).toEqual([11, 99]);
    expect(JSON.stringify(analyst)).not.toContain('secretNote');
    const admin = await untilSentinel('admin-watched');
    expect(admin.map((d: any) => d.secretNote.value)).toEqual(['z', 'w', 'w']);
  });

  it('periodic notifications (timeInterval) too', async () => {
    for (const who of ['analyst', 'admin'] as const) {
      await subscribe(who, `${who}-periodic`, { entities: [{ type: 'Building' }, { type: 'Patient' }], q: 'secretNote|height|condition', timeInterval: 1 });
    }
    const first = (path: string) => receiver.waitFor((r) => r.some((x) => x.path === `/notify/${path}`), 15_000, path).then(() => receiver.received.find((x) => x.path === `/notify/${path}`)!.body.data);
    const analyst = await first('analyst-periodic');
    expect(analyst.map((d: any) => d.id)).toEqual([B1]);
    expect(analyst[0].height.value).toBe(99);
    expect(analyst[0].secretNote).toBeUndefined();
    const admin = await first('admin-periodic');
    expect(admin.map((d: any) => d.id).sort()).toEqual([B1, P1]);
    expect(admin.find((d: any) => d.id === B1).secretNote.value).toBe('w');
  });
});

describe('the temporal API shows only what the caller may read', () => {
  const TEMPORAL = `${API}/temporal/entities`;
  const ids = (body: any[]) => body.map((e) => e.id).sort();

  it('queries: hidden types and attributes are absent, and counted out', async () => {
    const analyst = await req('analyst', 'GET', `${TEMPORAL}?type=Building,Patient&timeproperty=modifiedAt&count=true`);
    expect(analyst.status, analyst.text).toBe(200);
    expect(ids(analyst.json)).toEqual([B1]);
    expect(analyst.headers.get('ngsild-results-count')).toBe('1');
    expect(analyst.json[0].height.map((i: any) => i.value)).toEqual([10, 11, 99]);
    expect(JSON.stringify(analyst.json)).not.toContain('secretNote');

    const admin = await req('admin', 'GET', `${TEMPORAL}?type=Building,Patient&timeproperty=modifiedAt&count=true`);
    expect(ids(admin.json)).toEqual([B1, P1]);
    expect(admin.headers.get('ngsild-results-count')).toBe('2');
    expect(admin.json.find((e: any) => e.id === B1).secretNote.map((i: any) => i.value)).toEqual(['x', 'z', 'w']);
  });

  it('q and attrs on the hidden attribute match nothing; aggregation leaves it out', async () => {
    for (const [who, n] of [['analyst', '0'], ['admin', '2']] as const) {
      const q = await req(who, 'GET', `${TEMPORAL}?q=secretNote&timeproperty=modifiedAt&count=true`);
      expect(q.status, q.text).toBe(200);
      expect(q.headers.get('ngsild-results-count'), who).toBe(n);
      const attrs = await req(who, 'GET', `${TEMPORAL}?attrs=secretNote&timeproperty=modifiedAt&count=true`);
      expect(attrs.headers.get('ngsild-results-count'), who).toBe(n);
    }
    const one = await req('analyst', 'GET', `${TEMPORAL}/${B1}?attrs=secretNote,height&timeproperty=modifiedAt`);
    expect(one.status, one.text).toBe(200);
    expect(one.json.secretNote).toBeUndefined();
    expect(one.json.height).toHaveLength(3);
    const aggr = await req('analyst', 'GET', `${TEMPORAL}/${B1}?options=aggregatedValues&aggrMethods=totalCount&timeproperty=modifiedAt`);
    expect(aggr.status, aggr.text).toBe(200);
    expect(aggr.json.height.totalCount[0][0]).toBe(3);
    expect(aggr.json.secretNote).toBeUndefined();
    const adminAggr = await req('admin', 'GET', `${TEMPORAL}/${B1}?options=aggregatedValues&aggrMethods=totalCount&timeproperty=modifiedAt`);
    expect(adminAggr.json.secretNote.totalCount[0][0]).toBe(3);
  });

  it('a hidden temporal entity answers exactly like a missing one', async () => {
    const hidden = await req('analyst', 'GET', `${TEMPORAL}/${P1}`);
    const missing = await req('analyst', 'GET', `${TEMPORAL}/urn:ngsi-ld:Patient:nobody`);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(hidden.json.type).toBe(missing.json.type);
    expect(hidden.json.detail.replace(P1, 'ID')).toBe(missing.json.detail.replace('urn:ngsi-ld:Patient:nobody', 'ID'));
    expect((await req('admin', 'GET', `${TEMPORAL}/${P1}`)).status).toBe(200);
  });

  it('anonymous callers read only public history, without restricted attributes', async () => {
    const all = await req('anonymous', 'GET', `${TEMPORAL}?timeproperty=modifiedAt&count=true`);
    expect(all.status, all.text).toBe(200);
    expect(ids(all.json)).toEqual([W1]);
    expect(all.headers.get('ngsild-results-count')).toBe('1');
    expect(all.json[0].temperature[0].value).toBe(20);
    expect(all.json[0].secretNote).toBeUndefined();
    expect((await req('anonymous', 'GET', `${TEMPORAL}/${B1}`)).status).toBe(404);
    // Writing history stays for the writers of data.
    expect((await req('anonymous', 'POST', TEMPORAL, { id: 'urn:ngsi-ld:WeatherObserved:w2', type: 'WeatherObserved' })).status).toBe(401);
    expect((await req('analyst', 'POST', TEMPORAL, { id: 'urn:ngsi-ld:WeatherObserved:w2', type: 'WeatherObserved' })).status).toBe(403);
  });

  it("a resident reads the history of its own records only", async () => {
    const r = await req('resident', 'GET', `${TEMPORAL}?type=Complaint,Building&timeproperty=modifiedAt&count=true`);
    expect(r.status, r.text).toBe(200);
    expect(ids(r.json)).toEqual([C1]);
    expect(r.headers.get('ngsild-results-count')).toBe('1');
    expect((await req('resident', 'GET', `${TEMPORAL}/${C2}`)).status).toBe(404);
    expect((await req('resident', 'GET', `${TEMPORAL}/${C1}`)).status).toBe(200);
  });
});
