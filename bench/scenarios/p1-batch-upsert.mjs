/**
 * P1 batch upsert: the city's entities (10 attributes each) sent to
 * POST /ngsi-ld/v1/entityOperations/upsert, 100 entities a request, a few requests in flight;
 * history is recorded for every attribute (it always is). Attributes stored per second, against
 * the raw-insert ceiling of the same rows. Leaves the city loaded for P2, P3, P4 and P7.
 */
import { closedLoop } from '../lib/load.mjs';
import { n, update } from '../lib/progress.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { attributesOf, entity } from '../lib/city.mjs';
import { latencySummary, round } from '../lib/stats.mjs';

const PER_REQUEST = 100;

export async function batchUpsert({ sizes, client, ceilings }) {
  const requests = Math.ceil(sizes.entities / PER_REQUEST);
  const attributesPerEntity = attributesOf(entity(0)).length;
  const r = await closedLoop(client, {
    concurrency: sizes.upsertConcurrency,
    count: requests,
    next: (k) => {
      const batch = [];
      for (let i = k * PER_REQUEST; i < Math.min(sizes.entities, (k + 1) * PER_REQUEST); i++) batch.push(entity(i));
      return { method: 'POST', path: '/ngsi-ld/v1/entityOperations/upsert', body: JSON.stringify(batch) };
    },
    onProgress: (done) => update(`P1 loading ${n(Math.min(sizes.entities, done * PER_REQUEST))}/${n(sizes.entities)} entities`),
  });
  if (r.errors > 0) throw new Error(`P1: ${r.errors} upserts failed; first: ${r.firstError}`);
  const attributes = sizes.entities * attributesPerEntity;
  return figure(Math.round(attributes / r.seconds), 'attributes/s', Math.round(ceilings.insert.rowsPerSecond), TARGETS.P1, {
    ceilingUnit: 'rows/s',
    ceilingName: ceilings.insert.name,
    entities: sizes.entities,
    attributesPerEntity,
    entitiesPerRequest: PER_REQUEST,
    concurrency: sizes.upsertConcurrency,
    seconds: round(r.seconds, 2),
    requestLatency: latencySummary(r.latencies),
    errors: r.errors,
  });
}
