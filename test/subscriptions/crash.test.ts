/**
 * Crash test: notifications for acknowledged writes survive SIGKILL. Urbis runs as a real process
 * with a subscription to a receiver that is down; N updates per entity are acknowledged; the
 * process is killed; the receiver comes up; Urbis restarts on the same data directory and
 * delivers every pending notification, each entity's updates in order, shaped as the spec says.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { freePort } from '../helpers/mosquitto.js';
import { startUrbisProcess, type UrbisProcess } from '../helpers/process.js';
import { startReceiver, type Receiver } from './receiver.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'urbis-crash-'));
let urbis: UrbisProcess | undefined;
let receiver: Receiver | undefined;

afterAll(async () => {
  await urbis?.stop();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const ENTITIES = 4;
const UPDATES = 25;

async function call(base: string, method: string, url: string, body?: unknown): Promise<Response> {
  return fetch(base + '/ngsi-ld/v1' + url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
}

it('delivers every pending notification after SIGKILL and restart, in order per entity', async () => {
  const port = await freePort();
  urbis = await startUrbisProcess(dataDir);
  const sub = await call(urbis.base, 'POST', '/subscriptions', {
    type: 'Subscription',
    entities: [{ type: 'Crash' }],
    notification: { format: 'normalized', endpoint: { uri: `http://127.0.0.1:${port}/notify` } },
  });
  expect(sub.status).toBe(201);
  const subscriptionId = decodeURIComponent(sub.headers.get('location')!.split('/').pop()!);
  for (let e = 1; e <= ENTITIES; e++) {
    const res = await call(urbis.base, 'POST', '/entities', { id: `urn:ngsi-ld:Crash:${e}`, type: 'Crash', n: { type: 'Property', value: 0 } });
    expect(res.status).toBe(201);
  }
  // Interleaved updates of all entities, each acknowledged before the next.
  for (let i = 1; i <= UPDATES; i++) {
    for (let e = 1; e <= ENTITIES; e++) {
      const res = await call(urbis.base, 'PATCH', `/entities/urn:ngsi-ld:Crash:${e}/attrs`, { n: { type: 'Property', value: i } });
      expect(res.status).toBe(204);
    }
  }
  await urbis.kill();

  receiver = await startReceiver(port);
  urbis = await startUrbisProcess(dataDir);
  const total = ENTITIES * (UPDATES + 1);
  await receiver.waitFor(() => receiver!.data().length >= total, 30_000, `${total} notifications after the restart`);

  for (const n of receiver.received) {
    expect(n.body).toMatchObject({ id: expect.stringMatching(/^urn:ngsi-ld:Notification:/), type: 'Notification', subscriptionId, notifiedAt: expect.any(String) });
    expect(n.headers['content-type']).toMatch(/^application\/json/);
  }
  for (let e = 1; e <= ENTITIES; e++) {
    const values = receiver.data().filter((d) => d.id === `urn:ngsi-ld:Crash:${e}`).map((d) => d.n.value);
    // At-least-once: a duplicate can only repeat a value in place; order is kept.
    const distinct = values.filter((v, i) => i === 0 || v !== values[i - 1]);
    expect(distinct).toEqual(Array.from({ length: UPDATES + 1 }, (_, i) => i));
  }
  expect(receiver.data()[0]).toEqual({ id: 'urn:ngsi-ld:Crash:1', type: 'Crash', n: { type: 'Property', value: 0 } });
});
