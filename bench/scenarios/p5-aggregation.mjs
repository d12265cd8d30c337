/**
 * P5 temporal aggregation: one sensor's temperature every few seconds over January 2026 (the
 * mode's number of instances: 1,000,000 in full), loaded through
 * POST /ngsi-ld/v1/temporal/entities and .../attrs in requests of 5,000 instances; then
 * GET /ngsi-ld/v1/temporal/entities/{id}?options=aggregatedValues&aggrMethods=avg,max&
 * aggrPeriodDuration=PT1H&timerel=between over the month (744 hourly periods aggregating every
 * instance), timed as HTTP requests one at a time; the value is the median. A totalCount query
 * (not timed) checks that every instance was aggregated. afterLoad(path), when given, runs between
 * the load and the queries (P5pg: VACUUM ANALYZE); the detail it returns joins the figure's.
 */
import { closedLoop } from '../lib/load.mjs';
import { n, update } from '../lib/progress.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { median, round } from '../lib/stats.mjs';

const ID = 'urn:ngsi-ld:WeatherObserved:bench-history';
const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2026, 1, 1);
const PER_REQUEST = 5000;
const RANGE = `timerel=between&timeAt=${new Date(START).toISOString()}&endTimeAt=${new Date(END).toISOString()}`;

function instances(from, to, total) {
  const step = (END - START) / total;
  const list = [];
  for (let k = from; k < to; k++) {
    const value = Math.round((15 + 10 * Math.sin(k / 5000) + (k % 7) / 10) * 100) / 100;
    list.push({ type: 'Property', value, observedAt: new Date(Math.floor(START + k * step)).toISOString() });
  }
  return list;
}

export async function aggregation({ sizes, client, afterLoad }) {
  const total = sizes.instances;
  const requests = Math.ceil(total / PER_REQUEST);
  const load = await closedLoop(client, {
    concurrency: 1,
    count: requests,
    next: (k) => {
      const temperature = instances(k * PER_REQUEST, Math.min(total, (k + 1) * PER_REQUEST), total);
      return k === 0
        ? { method: 'POST', path: '/ngsi-ld/v1/temporal/entities', body: JSON.stringify({ id: ID, type: 'WeatherObserved', temperature }) }
        : { method: 'POST', path: `/ngsi-ld/v1/temporal/entities/${ID}/attrs`, body: JSON.stringify({ temperature }) };
    },
    onProgress: (done) => update(`P5 loading ${n(Math.min(total, done * PER_REQUEST))}/${n(total)} instances`),
  });
  if (load.errors > 0) throw new Error(`P5: loading the history failed: ${load.firstError}`);
  const path = `/ngsi-ld/v1/temporal/entities/${ID}?options=aggregatedValues&aggrMethods=avg,max&aggrPeriodDuration=PT1H&${RANGE}`;
  const settled = afterLoad ? await afterLoad(path) : {};

  const counted = JSON.parse((await client.ok('GET', `/ngsi-ld/v1/temporal/entities/${ID}?options=aggregatedValues&aggrMethods=totalCount&aggrPeriodDuration=P1M&${RANGE}`)).body);
  const instancesAggregated = counted.temperature.totalCount.reduce((sum, [count]) => sum + count, 0);

  const body = JSON.parse((await client.ok('GET', path)).body);
  const r = await closedLoop(client, {
    concurrency: 1,
    count: sizes.aggregationRuns,
    next: () => ({ method: 'GET', path }),
    onProgress: (done) => update(`P5 aggregation ${done}/${sizes.aggregationRuns}`),
  });
  return figure(round(median(r.latencies), 1), 'ms (median)', null, TARGETS.P5, {
    instances: total,
    instancesAggregated,
    periods: body.temperature.avg.length,
    query: 'options=aggregatedValues&aggrMethods=avg,max&aggrPeriodDuration=PT1H&timerel=between (January 2026)',
    runs: r.requests,
    min: round(Math.min(...r.latencies), 1),
    max: round(Math.max(...r.latencies), 1),
    loadSeconds: round(load.seconds, 1),
    loadedInstancesPerSecond: Math.round(total / load.seconds),
    ...settled,
    errors: r.errors,
  });
}
