/**
 * Aggregated temporal representation through HTTP: every method over several periods (fixed
 * lengths, calendar months, the whole interval) against values computed here, independently, from
 * the instances the test wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { rng } from '../helpers/random.js';

const T = '/ngsi-ld/v1/temporal/entities';
const ID = 'urn:ngsi-ld:WeatherObserved:aggr-1';
const H0 = Date.UTC(2026, 2, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

interface Sample {
  t: number;
  v: number;
}

let s: TestServer;
const samples: Sample[] = [];

/** The expected value of each method over `vs` (population standard deviation). */
function expected(vs: number[]): Record<string, number> {
  const n = vs.length;
  const sum = vs.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const variance = vs.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  return {
    totalCount: n,
    distinctCount: new Set(vs).size,
    sum,
    avg: mean,
    min: Math.min(...vs),
    max: Math.max(...vs),
    stddev: Math.sqrt(variance),
    sumsq: vs.reduce((a, v) => a + v * v, 0),
  };
}

const METHODS = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'];

beforeAll(async () => {
  s = await startServer();
  const random = rng(7);
  // 3 hours, 7 instances an hour at irregular minutes, with repeated values for distinctCount.
  for (let h = 0; h < 3; h++) {
    for (let k = 0; k < 7; k++) {
      const t = H0 + h * 3_600_000 + Math.floor((k * 60 + random() * 50) * 60_000 / 7);
      samples.push({ t, v: k % 3 === 0 ? 20 : Math.round(random() * 400) / 10 - 5 });
    }
  }
  const temperature = samples.map((x) => ({ type: 'Property', value: x.v, observedAt: iso(x.t) }));
  const r = await s.request('POST', T, { body: { id: ID, type: 'WeatherObserved', temperature } });
  expect(r.status).toBe(201);
});

afterAll(async () => {
  await s.close();
});

describe('aggregatedValues', () => {
  it('computes every method per hour (PT1H) as the test computes them', async () => {
    const url = `${T}/${ID}?options=aggregatedValues&aggrMethods=${METHODS.join(',')}&aggrPeriodDuration=PT1H&timerel=between&timeAt=${iso(H0)}&endTimeAt=${iso(H0 + 3 * 3_600_000)}`;
    const r = await s.request('GET', url);
    expect(r.status).toBe(200);
    const attr = r.json.temperature;
    expect(attr.type).toBe('Property');
    for (const m of METHODS) {
      expect(attr[m], m).toHaveLength(3);
      for (let h = 0; h < 3; h++) {
        const start = H0 + h * 3_600_000;
        const vs = samples.filter((x) => x.t >= start && x.t < start + 3_600_000).map((x) => x.v);
        const [value, from, to] = attr[m][h];
        expect(from).toBe(iso(start));
        expect(to).toBe(iso(start + 3_600_000));
        expect(value, `${m} hour ${h}`).toBeCloseTo(expected(vs)[m], 9);
      }
    }
  });

  it('takes the whole interval as one period without aggrPeriodDuration', async () => {
    const end = H0 + 2 * 3_600_000;
    const r = await s.request('GET', `${T}/${ID}?options=aggregatedValues&aggrMethods=avg,max,totalCount&timerel=before&timeAt=${iso(end)}`);
    const vs = samples.filter((x) => x.t < end);
    const want = expected(vs.map((x) => x.v));
    expect(r.json.temperature.avg).toHaveLength(1);
    expect(r.json.temperature.avg[0][0]).toBeCloseTo(want.avg, 9);
    expect(r.json.temperature.max[0][0]).toBe(want.max);
    expect(r.json.temperature.totalCount[0]).toEqual([vs.length, iso(vs[0].t), iso(end)]);
  });

  it('cuts calendar months for P1M', async () => {
    const id = 'urn:ngsi-ld:WeatherObserved:aggr-months';
    const points = [
      [Date.UTC(2026, 0, 31, 23, 59), 1],
      [Date.UTC(2026, 1, 1, 0, 0), 2],
      [Date.UTC(2026, 1, 28, 12, 0), 4],
      [Date.UTC(2026, 2, 1, 0, 0), 8],
    ];
    await s.request('POST', T, { body: { id, type: 'WeatherObserved', rain: points.map(([t, v]) => ({ type: 'Property', value: v, observedAt: iso(t) })) } });
    const r = await s.request('GET', `${T}/${id}?options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=P1M&timerel=after&timeAt=${iso(Date.UTC(2026, 0, 15))}`);
    expect(r.json.rain.sum).toEqual([
      [1, iso(Date.UTC(2026, 0, 15)), iso(Date.UTC(2026, 1, 1))],
      [6, iso(Date.UTC(2026, 1, 1)), iso(Date.UTC(2026, 2, 1))],
      [8, iso(Date.UTC(2026, 2, 1)), iso(Date.UTC(2026, 3, 1))],
    ]);
  });

  it('rejects aggregatedValues without aggrMethods, unknown methods and bad durations', async () => {
    for (const q of ['options=aggregatedValues', 'options=aggregatedValues&aggrMethods=median', 'options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=P1X', 'options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=P1M2D']) {
      const r = await s.request('GET', `${T}/${ID}?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    }
  });
});
