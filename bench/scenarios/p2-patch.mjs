/**
 * P2 single-entity updates: PATCH /ngsi-ld/v1/entities/{id}/attrs with one attribute (a fresh
 * temperature each time) on entities of the loaded city picked at random, with a fixed number of
 * requests in flight, each update recorded in history. Updates per second, against the requests
 * per second of the hello-world server measured with the same load generator and concurrency;
 * the detail also gives the store's one-row commits per second (each update is one commit).
 */
import { closedLoop } from '../lib/load.mjs';
import { n, update } from '../lib/progress.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { entityId, random } from '../lib/city.mjs';
import { latencySummary, round } from '../lib/stats.mjs';

function patches(entities, seed) {
  const rnd = random(seed);
  return (k) => ({
    method: 'PATCH',
    path: `/ngsi-ld/v1/entities/${entityId(Math.floor(rnd() * entities))}/attrs`,
    body: JSON.stringify({ temperature: { type: 'Property', value: Math.round(rnd() * 5000) / 100 + k / 1e6, unitCode: 'CEL', observedAt: new Date().toISOString() } }),
  });
}

export async function patchUpdates({ sizes, client, ceilings }) {
  // Warm-up (as for the hello-world ceiling): the same requests for a tenth of the time.
  await closedLoop(client, { concurrency: sizes.concurrency, durationMs: (sizes.rateSeconds * 1000) / 10, next: patches(sizes.entities, 7) });
  const r = await closedLoop(client, {
    concurrency: sizes.concurrency,
    durationMs: sizes.rateSeconds * 1000,
    next: patches(sizes.entities, 8),
    onProgress: (done) => update(`P2 ${n(done)} updates sent`),
  });
  return figure(Math.round(r.rate), 'updates/s', Math.round(ceilings.helloWorld.rate), TARGETS.P2, {
    ceilingUnit: 'req/s',
    ceilingName: 'hello-world Fastify route (GET / → {"hello":"world"}), same load generator and concurrency',
    storageCommitsPerSecond: Math.round(ceilings.commit.commitsPerSecond),
    updates: r.requests,
    entities: sizes.entities,
    concurrency: sizes.concurrency,
    seconds: round(r.seconds, 2),
    ...latencySummary(r.latencies),
    errors: r.errors,
    ...(r.firstError ? { firstError: r.firstError } : {}),
  });
}
