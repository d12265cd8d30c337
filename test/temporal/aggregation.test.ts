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

/**
 * Aggregation by whole hours of observedAt is served by hourly rollups kept with the history;
 * anything else (an interval or period that is not whole hours, distinctCount) by the instances.
 * Both must give what the instances hold, also after instances are modified or deleted.
 */
describe('aggregatedValues from hourly rollups', () => {
  const SUMS = ['sum', 'avg', 'stddev', 'sumsq'];
  const EXACT = ['totalCount', 'min', 'max'];
  const ALL = [...EXACT, ...SUMS];
  const RID = 'urn:ngsi-ld:WeatherObserved:aggr-rollups';
  const DAY0 = Date.UTC(2026, 4, 1);
  const points: Sample[] = [];

  /** Every period of every method as [value, from, to], from the server. */
  async function aggregate(query: string, id = RID): Promise<Record<string, Array<[number, string, string]>>> {
    const r = await s.request('GET', `${T}/${id}?options=aggregatedValues&${query}`);
    expect(r.status, query).toBe(200);
    return r.json.pressure ?? {};
  }

  /** What the instances give over [from, to) in periods of `ms` from `from`, per method. */
  function computed(from: number, to: number, ms: number): Record<string, Array<[number, string, string]>> {
    const out: Record<string, Array<[number, string, string]>> = {};
    for (let start = from; start < to; start += ms) {
      const vs = points.filter((x) => x.t >= start && x.t < start + ms && x.t < to).map((x) => x.v);
      if (vs.length === 0) continue;
      const e = expected(vs);
      for (const m of ALL) (out[m] ??= []).push([e[m], iso(start), iso(Math.min(start + ms, to))]);
    }
    return out;
  }

  function expectSame(got: Record<string, Array<[number, string, string]>>, want: Record<string, Array<[number, string, string]>>, what: string): void {
    for (const m of ALL) {
      expect(got[m]?.map(([, a, b]) => [a, b]), `${what} ${m} periods`).toEqual(want[m].map(([, a, b]) => [a, b]));
      got[m].forEach(([v], k) => {
        if (EXACT.includes(m)) expect(v, `${what} ${m} ${k}`).toBe(want[m][k][0]);
        else expect(Math.abs(v - want[m][k][0]), `${what} ${m} ${k}: ${v} vs ${want[m][k][0]}`).toBeLessThanOrEqual(1e-12 * Math.abs(want[m][k][0]));
      });
    }
  }

  beforeAll(async () => {
    const random = rng(11);
    // Two days, 0 to 12 instances an hour (some hours empty), in time order, some on the hour.
    for (let h = 0; h < 48; h++) {
      const n = Math.floor(random() * 13);
      for (let k = 0; k < n; k++) points.push({ t: DAY0 + h * 3_600_000 + (k === 0 && h % 5 === 0 ? 0 : Math.floor(random() * 3_600_000)), v: Math.round(random() * 100_000) / 100 + 900 });
    }
    points.sort((a, b) => a.t - b.t);
    const pressure = points.map((x) => ({ type: 'Property', value: x.v, observedAt: iso(x.t) }));
    expect((await s.request('POST', T, { body: { id: RID, type: 'WeatherObserved', pressure: pressure.slice(0, 200) } })).status).toBe(201);
    expect((await s.request('POST', `${T}/${RID}/attrs`, { body: { pressure: pressure.slice(200) } })).status).toBe(204);
  });

  const range = (from: number, to: number) => `timerel=between&timeAt=${iso(from)}&endTimeAt=${iso(to)}`;

  it('gives per hour exactly what the instances give (the same query with distinctCount reads the instances)', async () => {
    const q = `aggrPeriodDuration=PT1H&${range(DAY0, DAY0 + 48 * 3_600_000)}`;
    const fromRollups = await aggregate(`aggrMethods=${ALL.join(',')}&${q}`);
    const fromInstances = await aggregate(`aggrMethods=${ALL.join(',')},distinctCount&${q}`);
    for (const m of ALL) expect(fromRollups[m], m).toEqual(fromInstances[m]);
    expectSame(fromRollups, computed(DAY0, DAY0 + 48 * 3_600_000, 3_600_000), 'PT1H');
  });

  it('combines hours into longer periods (P1D, PT6H, the whole interval) as the instances do', async () => {
    const end = DAY0 + 48 * 3_600_000;
    expectSame(await aggregate(`aggrMethods=${ALL.join(',')}&aggrPeriodDuration=P1D&${range(DAY0, end)}`), computed(DAY0, end, 86_400_000), 'P1D');
    expectSame(await aggregate(`aggrMethods=${ALL.join(',')}&aggrPeriodDuration=PT6H&${range(DAY0 + 3_600_000, end)}`), computed(DAY0 + 3_600_000, end, 6 * 3_600_000), 'PT6H');
    const whole = await aggregate(`aggrMethods=${ALL.join(',')}&timerel=before&timeAt=${iso(DAY0 + 30 * 3_600_000)}`);
    const vs = points.filter((x) => x.t < DAY0 + 30 * 3_600_000).map((x) => x.v);
    expect(whole.totalCount[0][0]).toBe(vs.length);
    expect(whole.max[0][0]).toBe(Math.max(...vs));
    expect(whole.avg[0][0]).toBeCloseTo(expected(vs).avg, 9);
  });

  it('reads the instances for intervals and periods that are not whole hours', async () => {
    const from = DAY0 + 20 * 60_000;
    const to = DAY0 + 30 * 3_600_000 + 7 * 60_000;
    expectSame(await aggregate(`aggrMethods=${ALL.join(',')}&aggrPeriodDuration=PT1H&${range(from, to)}`), computed(from, to, 3_600_000), 'PT1H from :20');
    expectSame(await aggregate(`aggrMethods=${ALL.join(',')}&aggrPeriodDuration=PT30M&${range(DAY0, to)}`), computed(DAY0, to, 30 * 60_000), 'PT30M');
  });

  it('follows instances modified and deleted through the temporal API, and attributes deleted', async () => {
    const id = 'urn:ngsi-ld:WeatherObserved:aggr-rollups-writes';
    const h = (n: number, min = 0) => DAY0 + n * 3_600_000 + min * 60_000;
    const start = [
      { t: h(0, 10), v: 5 },
      { t: h(0, 20), v: 7 },
      { t: h(1, 5), v: 11 },
      { t: h(2, 30), v: 13 },
    ];
    expect((await s.request('POST', T, { body: { id, type: 'WeatherObserved', pressure: start.map((x) => ({ type: 'Property', value: x.v, observedAt: iso(x.t) })) } })).status).toBe(201);
    const instances = (await s.request('GET', `${T}/${id}`)).json.pressure as Array<{ instanceId: string; value: number }>;
    const idOf = (v: number) => instances.find((i) => i.value === v)!.instanceId;
    const hourly = async () => {
      const a = await aggregate(`aggrMethods=totalCount,sum,min,max&aggrPeriodDuration=PT1H&${range(h(0), h(4))}`, id);
      return Object.fromEntries(['totalCount', 'sum', 'min', 'max'].map((m) => [m, (a[m] ?? []).map(([v, from]) => [v, from])]));
    };
    // 7 at 00:20 becomes 100 at 03:15 (another hour); 5 keeps its observedAt and becomes 1.
    expect((await s.request('PATCH', `${T}/${id}/attrs/pressure/${idOf(7)}`, { body: { type: 'Property', value: 100, observedAt: iso(h(3, 15)) } })).status).toBe(204);
    expect((await s.request('PATCH', `${T}/${id}/attrs/pressure/${idOf(5)}`, { body: { type: 'Property', value: 1 } })).status).toBe(204);
    expect((await s.request('DELETE', `${T}/${id}/attrs/pressure/${idOf(11)}`)).status).toBe(204);
    expect(await hourly()).toEqual({
      totalCount: [[1, iso(h(0))], [1, iso(h(2))], [1, iso(h(3))]],
      sum: [[1, iso(h(0))], [13, iso(h(2))], [100, iso(h(3))]],
      min: [[1, iso(h(0))], [13, iso(h(2))], [100, iso(h(3))]],
      max: [[1, iso(h(0))], [13, iso(h(2))], [100, iso(h(3))]],
    });
    expect((await s.request('DELETE', `${T}/${id}/attrs/pressure`)).status).toBe(204);
    expect(await hourly()).toEqual({ totalCount: [], sum: [], min: [], max: [] });
  });
});
