/**
 * P4 geo-query: GET /ngsi-ld/v1/entities?type=<one of the five>&georel=near;maxDistance==1000&
 * geometry=Point&coordinates=[a random point of the city], limit 20 or 100 in turn, over the
 * loaded city (its points spread over 20 km × 20 km). Latency percentiles; the value is p95.
 */
import { cityPoint, random, TYPES } from '../lib/city.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { queryLatency } from './query-latency.mjs';

export async function geoNear({ sizes, client }) {
  const rnd = random(4);
  const query = (k) => {
    const point = cityPoint(rnd(), rnd());
    return `type=${TYPES[k % TYPES.length]}&georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=${encodeURIComponent(JSON.stringify(point))}&limit=${k % 2 === 0 ? 20 : 100}`;
  };
  const { value, detail } = await queryLatency('P4', client, sizes, query);
  return figure(value, 'ms (p95)', null, TARGETS.P4, { query: 'type=X&georel=near;maxDistance==1000&geometry=Point&coordinates=[lon,lat]&limit=20|100', ...detail });
}
