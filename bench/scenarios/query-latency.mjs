/**
 * Latency of a family of GET /ngsi-ld/v1/entities queries over the loaded city (P3, P4): a few
 * warm-up queries that also count what the queries return, then one query at a time for a while
 * (the figure: p50/p95/p99), then 8 at a time for a shorter while (detail `loaded`: throughput and
 * latency when queries queue on the server's two cores).
 */
import { closedLoop } from '../lib/load.mjs';
import { n, update } from '../lib/progress.mjs';
import { latencySummary, round } from '../lib/stats.mjs';

const WARM_UP = 20;
const LOADED_CONCURRENCY = 8;

/** query(k) → the query string of request k (after `?`). Returns the figure's detail members. */
export async function queryLatency(label, client, sizes, query) {
  const path = (k) => `/ngsi-ld/v1/entities?${query(k)}`;
  let returned = 0;
  for (let k = 0; k < WARM_UP; k++) {
    const r = await client.ok('GET', path(1_000_000 + k));
    returned += JSON.parse(r.body).length;
  }
  const one = await closedLoop(client, {
    concurrency: 1,
    durationMs: sizes.querySeconds * 1000,
    next: (k) => ({ method: 'GET', path: path(k) }),
    onProgress: (done) => update(`${label} ${n(done)} queries, one at a time`),
  });
  const loaded = await closedLoop(client, {
    concurrency: LOADED_CONCURRENCY,
    durationMs: sizes.loadedQuerySeconds * 1000,
    next: (k) => ({ method: 'GET', path: path(2_000_000 + k) }),
    onProgress: (done) => update(`${label} ${n(done)} queries, ${LOADED_CONCURRENCY} at a time`),
  });
  const latency = latencySummary(one.latencies);
  return {
    value: latency.p95,
    detail: {
      ...latency,
      queries: one.requests,
      concurrency: 1,
      queriesPerSecond: round(one.rate, 1),
      meanEntitiesReturned: round(returned / WARM_UP, 1),
      entities: sizes.entities,
      loaded: { concurrency: LOADED_CONCURRENCY, queries: loaded.requests, queriesPerSecond: round(loaded.rate, 1), ...latencySummary(loaded.latencies), errors: loaded.errors },
      errors: one.errors + loaded.errors,
      ...(one.firstError || loaded.firstError ? { firstError: one.firstError ?? loaded.firstError } : {}),
    },
  };
}
