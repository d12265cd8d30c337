/**
 * Two Urbis nodes on one PostgreSQL database (two real `urbis start` processes, two data
 * directories, the same URBIS_STORE), a real HTTP receiver on loopback and the live view's
 * Server-Sent Events: what one node acknowledges, the other reads at once; a subscription created
 * on one node notifies writes made on the other; the live view of every node shows writes made on
 * any; and when a node is killed (SIGKILL) in the middle of a stream of writes, every acknowledged
 * write is readable on the survivor and every notification still pending arrives exactly once,
 * each entity's in order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUrbisProcess, type UrbisProcess } from '../helpers/process.js';
import { linkHeader, testStore } from '../helpers/server.js';
import { startReceiver, type Receiver } from '../subscriptions/receiver.js';
import { TYPE_CONTEXT } from '../../src/web/domains.js';

const dirs = [0, 1, 2].map(() => mkdtempSync(path.join(tmpdir(), 'urbis-two-nodes-')));
let a: UrbisProcess;
let b: UrbisProcess;
let receiver: Receiver;
let subscriptionId: string;

async function call(node: UrbisProcess, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(node.base + '/ngsi-ld/v1' + url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
}

/** The values of `n` the receiver got for an entity, in the order they arrived. */
const received = (id: string) => receiver.data().filter((d) => d.id === id).map((d) => d.n);

beforeAll(async () => {
  // Both nodes on the database of the third directory; endpoints that do not answer are given up on after 2 s.
  const env = { URBIS_STORE: await testStore(dirs[2]), URBIS_NOTIFY_TIMEOUT: '2000' };
  a = await startUrbisProcess(dirs[0], [], env);
  b = await startUrbisProcess(dirs[1], [], env);
  receiver = await startReceiver();
});

afterAll(async () => {
  await a?.kill();
  await b?.stop();
  await receiver?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('two nodes on one database', () => {
  it('reads on one node what the other acknowledged, and notifies writes on A for a subscription just created on B', async () => {
    const sub = await call(b, 'POST', '/subscriptions', {
      type: 'Subscription',
      entities: [{ type: 'Meter' }],
      notification: { format: 'keyValues', endpoint: { uri: receiver.url } },
    });
    expect(sub.status).toBe(201);
    subscriptionId = decodeURIComponent(sub.headers.get('location')!.split('/').pop()!);
    // Right away, before A could have heard of the subscription over the bus.
    const created = await call(a, 'POST', '/entities', { id: 'urn:ngsi-ld:Meter:first', type: 'Meter', n: { type: 'Property', value: 0 } });
    expect(created.status).toBe(201);
    const read = await call(b, 'GET', '/entities/urn:ngsi-ld:Meter:first?options=keyValues');
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ id: 'urn:ngsi-ld:Meter:first', type: 'Meter', n: 0 });
    expect((await call(a, 'GET', `/subscriptions/${encodeURIComponent(subscriptionId)}`)).status).toBe(200);

    const patched = await call(b, 'PATCH', '/entities/urn:ngsi-ld:Meter:first/attrs', { n: { type: 'Property', value: 1 } });
    expect(patched.status).toBe(204);
    await receiver.waitFor(() => received('urn:ngsi-ld:Meter:first').length >= 2, 15_000, 'the notifications of the writes on A and B');
    expect(received('urn:ngsi-ld:Meter:first')).toEqual([0, 1]);
    expect(receiver.received[0].body).toMatchObject({ type: 'Notification', subscriptionId });
  });

  it('shows a write made on A in the live view of both nodes', async () => {
    const type = 'Streetlight';
    const id = 'urn:ngsi-ld:Streetlight:two-nodes';
    const streams = await Promise.all([a, b].map((node) => openStream(node.base + '/live')));
    try {
      const res = await call(a, 'POST', '/entities', { id, type, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.35, 48.85] } } }, { link: linkHeader(TYPE_CONTEXT.get(type)!) });
      expect(res.status).toBe(201);
      await Promise.all(streams.map((s) => s.waitFor(id)));
    } finally {
      for (const s of streams) s.close();
    }
  });

  it('after SIGKILL of a node in a stream of writes, the other serves every acknowledged write and delivers every pending notification once', async () => {
    // The receiver refuses for now: nothing of what follows is taken before A dies, so nothing
    // can be taken twice (a node that dies between a receiver's 2xx and recording it sends again).
    receiver.mode = 503;
    const ids = [1, 2, 3, 4].map((i) => `urn:ngsi-ld:Meter:stream-${i}`);
    const acknowledged = new Map<string, number>();
    for (const id of ids) {
      expect((await call(a, 'POST', '/entities', { id, type: 'Meter', n: { type: 'Property', value: 0 } })).status).toBe(201);
      acknowledged.set(id, 0);
    }
    // Each entity's updates one after the other, the entities side by side, until A is killed.
    let total = 0;
    let killed: Promise<void> | undefined;
    await Promise.all(
      ids.map(async (id) => {
        for (let value = 1; ; value++) {
          let res: Response;
          try {
            res = await call(a, 'PATCH', `/entities/${id}/attrs`, { n: { type: 'Property', value } });
          } catch {
            return; // A is gone.
          }
          expect(res.status).toBe(204);
          acknowledged.set(id, value);
          if (++total === 80) killed = a.kill();
        }
      }),
    );
    await killed;
    receiver.mode = 'ok';

    const last = new Map<string, number>();
    for (const id of ids) {
      const res = await call(b, 'GET', `/entities/${id}?options=keyValues`);
      expect(res.status).toBe(200);
      const { n } = (await res.json()) as { n: number };
      // Every acknowledged write is there (a write in flight at the kill may be there too).
      expect(n).toBeGreaterThanOrEqual(acknowledged.get(id)!);
      expect(n).toBeLessThanOrEqual(acknowledged.get(id)! + 1);
      last.set(id, n);
    }
    // B finds by itself what A left: changes not yet dispatched and a queue A was delivering.
    await receiver.waitFor(() => ids.every((id) => received(id).includes(last.get(id)!)), 20_000, 'the notifications left by the killed node');
    // Then a write on B: once its notification is in, anything sent twice would be in too (the
    // outbox is dispatched and each queue delivered in order).
    expect((await call(b, 'PATCH', '/entities/urn:ngsi-ld:Meter:first/attrs', { n: { type: 'Property', value: 2 } })).status).toBe(204);
    await receiver.waitFor(() => received('urn:ngsi-ld:Meter:first').includes(2), 15_000, 'the notification of the last write');
    for (const id of ids) {
      expect(received(id)).toEqual(Array.from({ length: last.get(id)! + 1 }, (_, i) => i));
    }
  });
});

/** Reads a Server-Sent Events stream; waitFor resolves once an event mentions `text`. */
async function openStream(url: string): Promise<{ waitFor(text: string): Promise<void>; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => {});
  return {
    async waitFor(needle) {
      const deadline = Date.now() + 15_000;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no live event about ${needle} from ${url}; got: ${text.slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      abort.abort();
    },
  };
}
