/**
 * P3 query by type and q: GET /ngsi-ld/v1/entities?type=<one of the five>&q=temperature>=a;
 * temperature<a+0.5 (1 % of the temperature range: about 1 % of the type's entities match),
 * limit 20 or 100 in turn, over the loaded city. Latency percentiles; the value is p95.
 */
import { random, TEMPERATURE, TYPES } from '../lib/city.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { queryLatency } from './query-latency.mjs';

const WIDTH = (TEMPERATURE.max - TEMPERATURE.min) / 100;

export async function typeAndQ({ sizes, client }) {
  const rnd = random(3);
  const query = (k) => {
    const a = Math.round((TEMPERATURE.min + rnd() * (TEMPERATURE.max - TEMPERATURE.min - WIDTH)) * 100) / 100;
    const q = `temperature>=${a};temperature<${Math.round((a + WIDTH) * 100) / 100}`;
    return `type=${TYPES[k % TYPES.length]}&q=${encodeURIComponent(q)}&limit=${k % 2 === 0 ? 20 : 100}`;
  };
  const { value, detail } = await queryLatency('P3', client, sizes, query);
  return figure(value, 'ms (p95)', null, TARGETS.P3, { query: 'type=X&q=temperature>=a;temperature<a+0.5&limit=20|100', ...detail });
}
