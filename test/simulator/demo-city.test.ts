/**
 * The demo city: provisioned through the gateway's public API and run for a few simulated minutes
 * (step API, readings sent over HTTP like devices do), every scenario has entities with plausible
 * values, and every entity passes its Smart Data Model's JSON Schema (keyValues, validated
 * offline with ajv), and so do the bus network's GtfsStop and GtfsRoute entities written at
 * provisioning. The same seed gives the same city; `demo` on an existing database resumes.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CitySimulator, type Reading } from '../../src/simulator/runner.js';
import { cityGeoJson, generateCity } from '../../src/simulator/geography.js';
import { SCENARIOS, sdmContext } from '../../src/simulator/scenarios.js';
import { AGENCY_ID, routeEntityId, stopEntityId, TRANSIT_CONTEXT } from '../../src/simulator/transit.js';
import { linkHeader, startServer, type TestServer } from '../helpers/server.js';
import { SDM_DIR } from '../helpers/shared.js';

const SDM = SDM_DIR;
const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js').default;
const addFormats = require('ajv-formats').default;

const ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: true });
addFormats(ajv);
const load = (rel: string) => JSON.parse(readFileSync(path.join(SDM, rel), 'utf8'));
ajv.addSchema(load('common/data-models/common-schema.json'), 'https://smart-data-models.github.io/data-models/common-schema.json');
const env = load('Environment/Environment-schema.json');
ajv.addSchema(env, 'https://smart-data-models.github.io/dataModel.Environment/Environment-schema.json');
ajv.addSchema({ ...env, $id: 'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/Environment-schema.json' });
ajv.addSchema(load('Weather/weather-schema.json'), 'https://smart-data-models.github.io/dataModel.Weather/weather-schema.json');
ajv.addSchema(load('UrbanMobility/gtfs-schema.json'), 'https://smart-data-models.github.io/dataModel.UrbanMobility/gtfs-schema.json');

/** Entity type → its schema file (types without a shipped schema are checked for ranges only). */
const SCHEMAS: Record<string, string> = {
  Vehicle: 'Transportation/Vehicle/schema.json',
  TrafficFlowObserved: 'Transportation/TrafficFlowObserved/schema.json',
  FloodMonitoring: 'Environment/FloodMonitoring/schema.json',
  Streetlight: 'Streetlighting/Streetlight/schema.json',
  WeatherObserved: 'Weather/WeatherObserved/schema.json',
  AirQualityObserved: 'Environment/AirQualityObserved/schema.json',
  FireForestStatus: 'Forestry/FireForestStatus/schema.json',
  WaterConsumptionObserved: 'WaterConsumption/WaterConsumptionObserved/schema.json',
  WaterQualityObserved: 'WaterQuality/WaterQualityObserved/schema.json',
  GtfsStop: 'UrbanMobility/GtfsStop/schema.json',
  GtfsRoute: 'UrbanMobility/GtfsRoute/schema.json',
};
const validators = Object.fromEntries(Object.entries(SCHEMAS).map(([t, f]) => [t, ajv.compile(load(f))]));

type E = Record<string, any>;
const within = (v: unknown, lo: number, hi: number) => typeof v === 'number' && v >= lo && v <= hi;
/** Plausible ranges per entity type. */
const PLAUSIBLE: Record<string, (e: E) => boolean> = {
  Vehicle: (e) => within(e.speed, 0, 80) && within(e.heading, 0, 359) && e.location.type === 'Point',
  TrafficFlowObserved: (e) => within(e.intensity, 0, 60) && (e.occupancy === undefined || within(e.occupancy, 0, 1)),
  FloodMonitoring: (e) => within(e.currentLevel, 0.2, 8) && ['Normal', 'Alert', 'Danger'].includes(e.floodLevelStatus),
  CrowdFlowObserved: (e) => within(e.peopleCount, 0, 200) && typeof e.congested === 'boolean',
  Streetlight: (e) => within(e.illuminanceLevel, 0, 1) && within(e.powerConsumption, 0, 200) && ['on', 'off'].includes(e.powerState),
  WeatherObserved: (e) => within(e.temperature, -10, 40) && within(e.relativeHumidity, 0, 1) && within(e.atmosphericPressure, 950, 1060),
  AirQualityObserved: (e) => within(e.pm25, 0, 200) && within(e.pm10, 0, 400) && within(e.no2, 0, 400) && within(e.o3, 0, 300) && Number.isInteger(e.airQualityIndex),
  FireForestStatus: (e) => typeof e.smokeDetected === 'boolean' && within(e.smokeDetectedConfidence, 0, 1),
  DeviceMeasurement: (e) => within(e.numValue, 0, 30) && ['clear', 'alarm'].includes(e.textValue),
  WaterConsumptionObserved: (e) => within(e.waterConsumption, 0, 1000) && [0, 1].includes(e.alarmInProgress),
  WaterQualityObserved: (e) => within(e.pH, 6, 9) && within(e.turbidity, 0, 100) && within(e.temperature, 0, 30),
};

const START = Date.parse('2026-11-23T07:30:00Z'); // a Monday, morning rush hour
let s: TestServer;
let sim: CitySimulator;

/** Sends readings over HTTP with a bounded number of requests in flight. */
function httpSender(server: TestServer): (r: Reading) => Promise<unknown> {
  let active = 0;
  const queue: Array<() => void> = [];
  return async (r) => {
    if (active >= 32) await new Promise<void>((go) => queue.push(go));
    active++;
    try {
      const res = await fetch(`${server.base}/iot/${r.format}?k=${r.apikey}&i=${r.deviceId}`, { method: 'POST', body: r.payload, headers: { 'content-type': r.format === 'ul' ? 'text/plain' : 'application/json' } });
      await res.text();
      if (res.status !== 200) throw new Error(`${r.deviceId}: ${res.status}`);
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

async function all(type: string, ctx: string | undefined, server: TestServer = s): Promise<E[]> {
  const out: E[] = [];
  for (let offset = 0; ; offset += 1000) {
    const r = await server.request('GET', `/ngsi-ld/v1/entities?type=${type}&options=keyValues&limit=1000&offset=${offset}`, { headers: ctx ? { Link: linkHeader(ctx) } : {} });
    expect(r.status).toBe(200);
    out.push(...r.json);
    if (r.json.length < 1000) return out;
  }
}

beforeAll(async () => {
  s = await startServer();
  sim = new CitySimulator(42, START, httpSender(s));
  expect((await s.request('POST', '/iot/services', { body: sim.serviceGroups() })).status).toBe(201);
  const devices = sim.devices().devices;
  for (let i = 0; i < devices.length; i += 500) {
    expect((await s.request('POST', '/iot/devices', { body: { devices: devices.slice(i, i + 500) } })).status).toBe(201);
  }
  await sim.step(3 * 60_000);
}, 120_000);
afterAll(async () => s?.close());

describe('demo city', () => {
  it('has about 2,000 devices covering every scenario, all readings accepted', async () => {
    expect(sim.deviceCount).toBeGreaterThanOrEqual(1900);
    expect(sim.deviceCount).toBeLessThanOrEqual(2100);
    const stats = (await s.request('GET', '/iot/stats')).json;
    expect(stats.messages.rejected).toBe(0);
    expect(stats.measures.dropped).toBe(0);
    expect(stats.messages.accepted).toBe(sim.sent);
  });

  it('after a few simulated minutes every scenario has entities with plausible values that pass their Smart Data Model schema', async () => {
    // The validators do reject: a Vehicle without its required vehicleType, category and location.
    expect(validators.Vehicle({ id: 'urn:ngsi-ld:Vehicle:x', type: 'Vehicle' })).toBe(false);
    for (const scenario of SCENARIOS) {
      const ctx = scenario.domain ? sdmContext(scenario.domain) : undefined;
      const entities = (await all(scenario.entityType, ctx)).filter((e) => e.id.includes(`demo-${scenario.name}-`));
      expect(entities.length, scenario.name).toBe(scenario.devices(sim.ctx).length);
      for (const e of entities) {
        expect(PLAUSIBLE[scenario.entityType](e), `${e.id}: ${JSON.stringify(e)}`).toBe(true);
        const validate = validators[scenario.entityType];
        if (validate && !validate(e)) throw new Error(`${e.id} fails the ${scenario.entityType} schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(e)}`);
      }
    }
  });

  it('the same seed gives the same city, devices and readings; another seed another city', async () => {
    const again = new CitySimulator(42, START, async () => undefined);
    expect(again.devices()).toEqual(sim.devices());
    expect(cityGeoJson(again.city)).toEqual(cityGeoJson(sim.city));
    const t = START + 3_600_000;
    for (const scenario of SCENARIOS) {
      const [a, b] = [scenario.devices(sim.ctx)[0], scenario.devices(again.ctx)[0]];
      expect(again.reading(scenario, b, t)).toEqual(sim.reading(scenario, a, t));
    }
    expect(cityGeoJson(generateCity(7))).not.toEqual(cityGeoJson(generateCity(42)));
    const geo = await s.request('GET', '/city/geography');
    expect(geo.headers.get('content-type')).toContain('application/geo+json');
    expect(geo.json).toEqual(cityGeoJson(generateCity(42)));
    const kinds = new Set(geo.json.features.map((f: E) => f.properties.kind));
    expect([...kinds].sort()).toEqual(['busRoute', 'busStop', 'district', 'gauge', 'park', 'river', 'road']);
  });

  it('incidents happen on the seeded schedule: the river rises past its alert level after rain', () => {
    const river = SCENARIOS.find((x) => x.name === 'river')!;
    const gauge = river.devices(sim.ctx)[11];
    let highest = 0;
    for (let t = START; t < START + 7 * 24 * 3_600_000; t += 3_600_000) highest = Math.max(highest, river.measure(gauge, t, sim.ctx).l as number);
    expect(highest).toBeGreaterThanOrEqual(3);
  });
});

describe('demo on start', () => {
  const city = generateCity(42);

  /** The bus network: one GtfsStop per stop, one GtfsRoute per line, each valid against its schema. */
  async function expectBusNetwork(server: TestServer): Promise<void> {
    // The validators do reject: a GtfsStop without its required name and location.
    expect(validators.GtfsStop({ id: 'urn:ngsi-ld:GtfsStop:x', type: 'GtfsStop' })).toBe(false);
    const stops = await all('GtfsStop', TRANSIT_CONTEXT, server);
    const routes = await all('GtfsRoute', TRANSIT_CONTEXT, server);
    expect(stops.map((e) => e.id).sort()).toEqual(city.stops.map((x) => stopEntityId(x.id)).sort());
    expect(routes.map((e) => e.id).sort()).toEqual(city.routes.map((x) => routeEntityId(x.id)).sort());
    for (const e of [...stops, ...routes]) {
      const validate = validators[e.type];
      if (!validate(e)) throw new Error(`${e.id} fails the ${e.type} schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(e)}`);
      expect(e.operatedBy).toEqual(e.type === 'GtfsStop' ? [AGENCY_ID] : AGENCY_ID);
    }
    for (const r of city.routes) {
      const route = routes.find((e) => e.id === routeEntityId(r.id))!;
      expect(route).toMatchObject({ shortName: r.shortName, routeColor: r.color, routeType: '3' });
    }
    const stop = stops.find((e) => e.id === stopEntityId(city.stops[0].id))!;
    expect(stop).toMatchObject({ name: city.stops[0].name, location: { type: 'Point', coordinates: city.stops[0].position } });
    expect((await server.request('GET', `/ngsi-ld/v1/entities/${AGENCY_ID}`)).status).toBe(200);
  }

  it('provisions the city on an empty database and resumes it on the next start', async () => {
    const first = await startServer({ demo: true, demoRate: 0.001 });
    try {
      expect((await first.request('GET', '/iot/devices?limit=1')).json.count).toBe(sim.deviceCount);
      expect((await first.request('GET', '/iot/services')).json.count).toBe(SCENARIOS.length);
      await expectBusNetwork(first);
      // A user's change to the network survives the next start.
      const renamed = await first.request('PATCH', `/ngsi-ld/v1/entities/${stopEntityId(city.stops[0].id)}/attrs`, { body: { name: { type: 'Property', value: 'Renamed' } }, headers: { Link: linkHeader(TRANSIT_CONTEXT) } });
      expect(renamed.status).toBe(204);
    } finally {
      await first.urbis.close();
    }
    const second = await startServer({ demo: true, demoRate: 0.001, dataDir: first.dataDir });
    try {
      expect((await second.request('GET', '/iot/devices?limit=1')).json.count).toBe(sim.deviceCount);
      expect((await second.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:Vehicle:demo-bus-0001')).status).toBe(200);
      const stops = await all('GtfsStop', TRANSIT_CONTEXT, second);
      expect(stops).toHaveLength(city.stops.length);
      expect(stops.find((e) => e.id === stopEntityId(city.stops[0].id))?.name).toBe('Renamed');
    } finally {
      await second.close();
    }
  });
});
