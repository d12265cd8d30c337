/**
 * Isolation: one endpoint hangs (never answers), one answers 500; a third subscription on the
 * same entities still receives every notification, in order, while the other two are retried and
 * marked failed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { API, startServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from './receiver.js';

let server: TestServer;
let hanging: Receiver;
let failing: Receiver;
let healthy: Receiver;

beforeAll(async () => {
  server = await startServer({ notifyTimeout: 3000 });
  [hanging, failing, healthy] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  hanging.mode = 'hang';
  failing.mode = 500;
});

afterAll(async () => {
  await server?.close();
  await Promise.all([hanging, failing, healthy].map((r) => r?.close()));
});

it('a hanging and a failing endpoint do not hold back another subscription', async () => {
  const locations: string[] = [];
  for (const r of [hanging, failing, healthy]) {
    const res = await server.request('POST', `${API}/subscriptions`, {
      body: { type: 'Subscription', entities: [{ type: 'Iso' }], notification: { format: 'keyValues', endpoint: { uri: r.url } } },
    });
    expect(res.status).toBe(201);
    locations.push(res.headers.get('location')!);
  }
  await server.request('POST', `${API}/entities`, { body: { id: 'urn:ngsi-ld:Iso:1', type: 'Iso', n: { type: 'Property', value: 0 } } });
  for (let i = 1; i <= 30; i++) {
    const res = await server.request('PATCH', `${API}/entities/urn:ngsi-ld:Iso:1/attrs`, { body: { n: { type: 'Property', value: i } } });
    expect(res.status).toBe(204);
  }
  await healthy.waitFor(() => healthy.data().length >= 31, 20_000, 'all 31 notifications at the healthy endpoint');
  expect(healthy.data().map((d) => d.n)).toEqual(Array.from({ length: 31 }, (_, i) => i));
  expect((await server.request('GET', locations[2])).json.notification).toMatchObject({ status: 'ok', timesFailed: 0 });

  const failed = async (location: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const n = (await server.request('GET', location)).json.notification;
      if (n.status === 'failed' || Date.now() > deadline) return n;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  expect(await failed(locations[0])).toMatchObject({ status: 'failed', timesFailed: expect.any(Number), lastFailure: expect.any(String) });
  expect(await failed(locations[1])).toMatchObject({ status: 'failed', timesFailed: expect.any(Number), lastFailure: expect.any(String) });
  expect(hanging.received).toEqual([]);
});
