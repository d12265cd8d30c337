/**
 * History across restarts and the retention policy, through HTTP on real servers sharing one data
 * directory: history survives a restart; with --retention the background job deletes expired
 * instances of the listed types (and only those) while a stream of writes goes on, and every
 * acknowledged write is in the history afterwards. A malformed policy stops the start-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';

const T = '/ngsi-ld/v1/temporal/entities';
const E = '/ngsi-ld/v1/entities';
const DAY = 86_400_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-temporal-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('history across restarts and retention', () => {
  it('keeps history over a restart, then applies the retention policy while writes go on', async () => {
    let s: TestServer = await startServer({ dataDir });
    // More than two chunks of the job (2,000 instances per transaction).
    const old = Array.from({ length: 5000 }, (_, n) => ({ type: 'Property', value: n, observedAt: ago(3 * DAY + n * 1000) }));
    const recent = [{ type: 'Property', value: 'fresh', observedAt: ago(60_000) }];
    expect((await s.request('POST', T, { body: { id: 'urn:ngsi-ld:Vehicle:ret-1', type: 'Vehicle', speed: [...old, ...recent] } })).status).toBe(201);
    expect((await s.request('POST', T, { body: { id: 'urn:ngsi-ld:Building:ret-1', type: 'Building', occupancy: old.slice(0, 10) } })).status).toBe(201);
    // A current entity, with history written by the broker.
    expect((await s.request('POST', E, { body: { id: 'urn:ngsi-ld:Vehicle:ret-live', type: 'Vehicle', speed: { type: 'Property', value: 0, observedAt: ago(0) } } })).status).toBe(201);
    await s.close();

    // Same data, no policy: everything is still there.
    s = await startServer({ dataDir });
    let r = await s.request('GET', `${T}/urn:ngsi-ld:Vehicle:ret-1?options=aggregatedValues&aggrMethods=totalCount`);
    expect(r.json.speed.totalCount[0][0]).toBe(5001);
    await s.close();

    // Vehicles keep one day; other types forever. The job runs at start, writes go on meanwhile.
    s = await startServer({ dataDir, retention: 'Vehicle=1' });
    let acknowledged = 0;
    let stop = false;
    const stream = (async () => {
      for (let n = 1; !stop; n++) {
        const w = await s.request('PATCH', `${E}/urn:ngsi-ld:Vehicle:ret-live/attrs`, { body: { speed: { type: 'Property', value: n, observedAt: new Date().toISOString() } } });
        expect(w.status).toBe(204);
        acknowledged = n;
      }
    })();
    await waitFor(async () => {
      const v = await s.request('GET', `${T}/urn:ngsi-ld:Vehicle:ret-1?options=aggregatedValues&aggrMethods=totalCount`);
      return v.json.speed?.totalCount[0][0] === 1;
    }, 20_000);
    while (acknowledged < 20) await new Promise((res) => setTimeout(res, 20));
    stop = true;
    await stream;

    r = await s.request('GET', `${T}/urn:ngsi-ld:Vehicle:ret-1`);
    expect(r.json.speed.map((i: any) => i.value)).toEqual(['fresh']);
    r = await s.request('GET', `${T}/urn:ngsi-ld:Building:ret-1`);
    expect(r.json.occupancy).toHaveLength(10);
    r = await s.request('GET', `${T}/urn:ngsi-ld:Vehicle:ret-live?lastN=1000`);
    expect(r.json.speed.map((i: any) => i.value)).toEqual(Array.from({ length: acknowledged + 1 }, (_, n) => n));
    await s.close();
  });

  it('refuses to start with a malformed retention policy', async () => {
    for (const bad of ['Vehicle', 'Vehicle=abc', 'Vehicle=0', 'Vehicle=3,Vehicle=4']) {
      await expect(startServer({ retention: bad })).rejects.toThrow(/--retention/);
    }
  });
});
