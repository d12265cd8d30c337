/**
 * P6 notifications: one subscription (type BenchNotified) notifying an HTTP receiver in this
 * process; updates of 100 such entities sent at a steady rate (open loop) for a while, each
 * carrying its sequence number and send time. For every acknowledged update the receiver must get
 * a notification with that sequence number: the missing ones are lost; latency = receipt time -
 * acknowledgement time (same clock; a notification that beats its acknowledgement counts as 0 ms).
 * achievedRate: updates acknowledged per second from the first send to the last acknowledgement;
 * below the target when the server cannot keep up (at most 256 updates wait for their answer).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { openLoop } from '../lib/load.mjs';
import { n, update } from '../lib/progress.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { latencySummary, round } from '../lib/stats.mjs';

const ENTITIES = 100;
const TYPE = 'BenchNotified';
const SUBSCRIPTION = 'urn:ngsi-ld:Subscription:bench-p6';
/** Most updates unanswered at once (then the server sets the pace: achievedRate). */
const MAX_BACKLOG = 256;
/** Longest wait for the last notifications after the last acknowledgement. */
const DRAIN_MS = 30_000;
const id = (e) => `urn:ngsi-ld:${TYPE}:${e}`;

/** An HTTP receiver of notifications on loopback: receipt time per `<entity id>|<seq>`. */
async function startReceiver() {
  const received = new Map();
  let notifications = 0;
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const t = performance.now();
      notifications++;
      for (const d of JSON.parse(text).data) received.set(`${d.id}|${d.seq}`, t);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { received, count: () => notifications, url: `http://127.0.0.1:${server.address().port}/notify`, close: () => new Promise((r) => (server.close(r), server.closeAllConnections())) };
}

export async function notifications({ sizes, client }) {
  const receiver = await startReceiver();
  try {
    const entities = Array.from({ length: ENTITIES }, (_, e) => ({ id: id(e), type: TYPE, seq: { type: 'Property', value: -1 }, sentAt: { type: 'Property', value: 0 } }));
    await client.ok('POST', '/ngsi-ld/v1/entityOperations/upsert', JSON.stringify(entities));
    await client.ok(
      'POST',
      '/ngsi-ld/v1/subscriptions',
      JSON.stringify({ id: SUBSCRIPTION, type: 'Subscription', entities: [{ type: TYPE }], notification: { format: 'keyValues', attributes: ['seq', 'sentAt'], endpoint: { uri: receiver.url, accept: 'application/json' } } }),
    );
    const acked = new Map();
    const keyOf = (i) => `${id(i % ENTITIES)}|${i}`;
    const r = await openLoop(client, {
      rate: sizes.notifyRate,
      durationMs: sizes.notifySeconds * 1000,
      maxBacklog: MAX_BACKLOG,
      next: (i) => ({
        method: 'PATCH',
        path: `/ngsi-ld/v1/entities/${id(i % ENTITIES)}/attrs`,
        body: JSON.stringify({ seq: { type: 'Property', value: i }, sentAt: { type: 'Property', value: Date.now() } }),
      }),
      onAnswer: (i, status, t) => status === 204 && acked.set(keyOf(i), t),
      onProgress: (answered, sent) => update(`P6 ${n(answered)}/${n(sent)} updates acknowledged, ${n(receiver.received.size)} notified`),
    });
    const deadline = performance.now() + DRAIN_MS;
    const missing = () => [...acked.keys()].filter((k) => !receiver.received.has(k)).length;
    while (missing() > 0 && performance.now() < deadline) {
      update(`P6 waiting for ${n(missing())} notifications`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const latencies = [];
    let beforeAck = 0;
    for (const [k, t] of acked) {
      const got = receiver.received.get(k);
      if (got === undefined) continue;
      if (got < t) beforeAck++;
      latencies.push(Math.max(0, got - t));
    }
    await client.ok('DELETE', `/ngsi-ld/v1/subscriptions/${SUBSCRIPTION}`);
    const { p50, p95, p99, max } = latencySummary(latencies);
    return figure(p99, 'ms (p99)', null, TARGETS.P6, {
      lost: acked.size - latencies.length,
      p50,
      p95,
      p99,
      max,
      targetRate: sizes.notifyRate,
      sentRate: round(r.rate, 1),
      achievedRate: round(r.answeredRate, 1),
      seconds: sizes.notifySeconds,
      maxBacklog: MAX_BACKLOG,
      updates: r.requests,
      acknowledged: acked.size,
      notificationRequests: receiver.count(),
      notifiedBeforeAcknowledgement: beforeAck,
      writeLatency: latencySummary(r.latencies),
      errors: r.errors,
      ...(r.firstError ? { firstError: r.firstError } : {}),
    });
  } finally {
    await receiver.close();
  }
}
