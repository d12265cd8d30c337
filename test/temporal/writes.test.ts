/**
 * Temporal writes and errors through HTTP: creating a temporal entity and adding instances,
 * modifying and deleting one instance, deleting an attribute's history (datasetId, deleteAll) and
 * a whole entity's; none of them touches the current entity. Errors are ProblemDetails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

const T = '/ngsi-ld/v1/temporal/entities';
const E = '/ngsi-ld/v1/entities';
const ID = 'urn:ngsi-ld:Streetlight:tw-1';
const at = (m: number) => new Date(Date.UTC(2026, 4, 1, 12, m)).toISOString();
const BAD = 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData';
const NOT_FOUND = 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound';

let s: TestServer;

beforeAll(async () => {
  s = await startServer();
});

afterAll(async () => {
  await s.close();
});

describe('temporal writes', () => {
  it('creates a temporal entity (201), then adds instances (204), without creating the current entity', async () => {
    const body = {
      id: ID,
      type: 'Streetlight',
      powerState: [
        { type: 'Property', value: 'on', observedAt: at(0) },
        { type: 'Property', value: 'off', observedAt: at(10) },
      ],
      lumens: { type: 'Property', value: 900, observedAt: at(0), datasetId: 'urn:ngsi-ld:Dataset:meter' },
    };
    const created = await s.request('POST', T, { body });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${T}/${ID}`);
    const again = await s.request('POST', T, { body: { id: ID, type: 'Streetlight', powerState: { value: 'on', observedAt: at(20) } } });
    expect(again.status).toBe(204);
    const added = await s.request('POST', `${T}/${ID}/attrs`, { body: { powerState: { type: 'Property', value: 'off', observedAt: at(30) }, lumens: { value: 950, observedAt: at(30) } } });
    expect(added.status).toBe(204);
    const r = await s.request('GET', `${T}/${ID}`);
    expect(r.json.powerState.map((i: any) => i.value)).toEqual(['on', 'off', 'on', 'off']);
    expect(r.json.lumens).toEqual([expect.objectContaining({ value: 900, datasetId: 'urn:ngsi-ld:Dataset:meter' }), expect.objectContaining({ value: 950 })]);
    expect((await s.request('GET', `${E}/${ID}`)).status).toBe(404);
  });

  it('modifies one instance (PATCH) and deletes one instance (DELETE)', async () => {
    const before = await s.request('GET', `${T}/${ID}?attrs=powerState&options=sysAttrs`);
    const [first, second] = before.json.powerState;
    const patched = await s.request('PATCH', `${T}/${ID}/attrs/powerState/${first.instanceId}`, { body: { type: 'Property', value: 'dimmed' } });
    expect(patched.status).toBe(204);
    const deleted = await s.request('DELETE', `${T}/${ID}/attrs/powerState/${second.instanceId}`);
    expect(deleted.status).toBe(204);
    const after = await s.request('GET', `${T}/${ID}?attrs=powerState&options=sysAttrs`);
    expect(after.json.powerState.map((i: any) => i.value)).toEqual(['dimmed', 'on', 'off']);
    const changed = after.json.powerState[0];
    expect(changed.instanceId).toBe(first.instanceId);
    expect(changed.observedAt).toBe(at(0));
    expect(changed.createdAt).toBe(first.createdAt);
    expect(Date.parse(changed.modifiedAt)).toBeGreaterThanOrEqual(Date.parse(first.modifiedAt));
    const gone = await s.request('DELETE', `${T}/${ID}/attrs/powerState/${second.instanceId}`);
    expect(gone.status).toBe(404);
    expect(gone.json.type).toBe(NOT_FOUND);
  });

  it('deletes the history of one attribute by datasetId, then all of it', async () => {
    const none = await s.request('DELETE', `${T}/${ID}/attrs/lumens?datasetId=urn:ngsi-ld:Dataset:other`);
    expect(none.status).toBe(404);
    expect((await s.request('DELETE', `${T}/${ID}/attrs/lumens?datasetId=urn:ngsi-ld:Dataset:meter`)).status).toBe(204);
    let r = await s.request('GET', `${T}/${ID}`);
    expect(r.json.lumens.map((i: any) => i.value)).toEqual([950]);
    expect((await s.request('DELETE', `${T}/${ID}/attrs/powerState?deleteAll=true`)).status).toBe(204);
    r = await s.request('GET', `${T}/${ID}`);
    expect(r.json.powerState).toBeUndefined();
  });

  it('deletes a temporal entity with its history', async () => {
    expect((await s.request('DELETE', `${T}/${ID}`)).status).toBe(204);
    const r = await s.request('GET', `${T}/${ID}`);
    expect(r.status).toBe(404);
    expect(r.json.type).toBe(NOT_FOUND);
    expect((await s.request('DELETE', `${T}/${ID}`)).status).toBe(404);
  });

  it('does not change history of the current entity it did not write', async () => {
    const id = 'urn:ngsi-ld:Streetlight:tw-current';
    await s.request('POST', E, { body: { id, type: 'Streetlight', powerState: { type: 'Property', value: 'on', observedAt: at(0) } } });
    await s.request('POST', `${T}/${id}/attrs`, { body: { powerState: { type: 'Property', value: 'off', observedAt: at(5) } } });
    const current = await s.request('GET', `${E}/${id}`);
    expect(current.json.powerState.value).toBe('on');
    const history = await s.request('GET', `${T}/${id}`);
    expect(history.json.powerState.map((i: any) => i.value)).toEqual(['on', 'off']);
  });
});

describe('errors', () => {
  const cases: Array<[string, string]> = [
    ['bad timerel', `?timerel=during&timeAt=${at(0)}`],
    ['timerel without timeAt', '?timerel=before'],
    ['between without endTimeAt', `?timerel=between&timeAt=${at(0)}`],
    ['endTimeAt before timeAt', `?timerel=between&timeAt=${at(5)}&endTimeAt=${at(0)}`],
    ['timeAt without timerel', `?timeAt=${at(0)}`],
    ['timeAt not a date-time', '?timerel=after&timeAt=yesterday'],
    ['bad timeproperty', '?timeproperty=expiresAt'],
    ['bad lastN', '?lastN=0'],
    ['bad duration', '?options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=1H'],
    ['two representations', '?options=temporalValues,aggregatedValues&aggrMethods=sum'],
  ];
  for (const [name, query] of cases) {
    it(`answers 400 BadRequestData for ${name}`, async () => {
      const r = await s.request('GET', `${T}${query}`);
      expect(r.status).toBe(400);
      expect(r.json.type).toBe(BAD);
      expect(r.json.detail).toBeTruthy();
    });
  }

  it('answers 404 for an unknown temporal entity, and for an unknown tenant', async () => {
    const r = await s.request('GET', `${T}/urn:ngsi-ld:Nothing:here`);
    expect(r.status).toBe(404);
    expect(r.json.type).toBe(NOT_FOUND);
    expect((await s.request('POST', `${T}/urn:ngsi-ld:Nothing:here/attrs`, { body: { x: 1 } })).status).toBe(404);
    const tenant = await s.request('GET', `${T}?type=X`, { headers: { 'NGSILD-Tenant': 'nobody' } });
    expect(tenant.status).toBe(404);
    expect(tenant.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/NonexistentTenant');
  });

  it('rejects invalid payloads with the broker’s messages and writes nothing', async () => {
    const id = 'urn:ngsi-ld:Streetlight:tw-bad';
    const r = await s.request('POST', T, { body: { id, type: 'Streetlight', powerState: [{ value: 'on' }, { type: 'Property' }] } });
    expect(r.status).toBe(400);
    expect(r.json.type).toBe(BAD);
    expect(r.json.detail).toContain('powerState');
    expect((await s.request('GET', `${T}/${id}`)).status).toBe(404);
    const noType = await s.request('POST', T, { body: { id, powerState: 'on' } });
    expect(noType.status).toBe(400);
  });
});
