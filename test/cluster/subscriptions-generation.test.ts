/**
 * A node that has not heard of a subscription change still notifies by it: two servers on one
 * PostgreSQL database, one of them deaf to the cluster bus (as if the message were late or lost).
 * A subscription created on the other node notifies a write made on the deaf node right after,
 * and once changed on the other node, it notifies writes on the deaf node as changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, testStore, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../subscriptions/receiver.js';

const key = mkdtempSync(path.join(tmpdir(), 'urbis-generation-'));
let a: TestServer;
let deaf: TestServer;
let receiver: Receiver;

beforeAll(async () => {
  const store = await testStore(key);
  a = await startServer({ store });
  deaf = await startServer({ store });
  await deaf.urbis.stores.bus.close();
  receiver = await startReceiver();
});

afterAll(async () => {
  await deaf?.close();
  await a?.close();
  await receiver?.close();
  rmSync(key, { recursive: true, force: true });
});

const received = (id: string) => receiver.data().filter((d) => d.id === id).map((d) => d.n);

it('notifies a write on a node that has not heard of the subscription yet, and filters by its latest version', async () => {
  const sub = await a.request('POST', '/ngsi-ld/v1/subscriptions', {
    body: { type: 'Subscription', entities: [{ type: 'Gauge' }], notification: { format: 'keyValues', endpoint: { uri: receiver.url } } },
  });
  expect(sub.status).toBe(201);
  const id = 'urn:ngsi-ld:Gauge:1';
  const write = async (n: number) => expect((await deaf.request('PATCH', `/ngsi-ld/v1/entities/${id}/attrs`, { body: { n: { type: 'Property', value: n } } })).status).toBe(204);
  expect((await deaf.request('POST', '/ngsi-ld/v1/entities', { body: { id, type: 'Gauge', n: { type: 'Property', value: 1 } } })).status).toBe(201);
  await receiver.waitFor(() => received(id).length > 0, 15_000, 'the notification of the write on the deaf node');

  // From now on only values below 2; the deaf node still holds the subscription without q.
  expect((await a.request('PATCH', sub.headers.get('location')!, { body: { q: 'n<2' } })).status).toBe(204);
  await write(2);
  await write(0);
  // The queue is delivered in order: a notification of 2 would come before that of 0.
  await receiver.waitFor(() => received(id).includes(0), 15_000, 'the notification of the last write');
  expect(received(id)).toEqual([1, 0]);
});
