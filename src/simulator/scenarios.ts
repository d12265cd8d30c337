/**
 * The ten scenarios of the demo city: for each, the service group the devices belong to (API key,
 * Smart Data Models entity type and @context, attribute mapping), where its devices are, how
 * often they report, in which payload format, and what they measure.
 */
import type { AttributeMapping } from '../ingest/model.js';
import { distanceM, districtOf, type City, type Position } from './geography.js';
import { HOUR, type IncidentSchedule } from './incidents.js';
import { hashNoise, smoothNoise } from './random.js';
import { clamp, footfall, hourOf, isDark, jitter, r1, r2, trafficLevel, waterUse, weatherAt } from './values.js';

export type Measures = Record<string, number | string | boolean>;

export interface SimDevice {
  deviceId: string;
  apikey: string;
  entityId: string;
  index: number;
  position: Position;
  periodMs: number;
  static_attributes: Array<{ name: string; type: string; value: unknown; unitCode?: string }>;
  /** Scenario-specific data (route, road segment...). */
  data: Record<string, unknown>;
}

export interface SimContext {
  seed: number;
  city: City;
  incidents: IncidentSchedule;
}

export interface Scenario {
  name: string;
  apikey: string;
  entityType: string;
  /** Smart Data Models domain of the entity type's @context (none: the core context). */
  domain?: string;
  format: 'ul' | 'json';
  observedAtAttribute?: string;
  attributes: AttributeMapping[];
  devices(ctx: SimContext): SimDevice[];
  measure(d: SimDevice, t: number, ctx: SimContext): Measures;
}

export const sdmContext = (domain: string) => `https://raw.githubusercontent.com/smart-data-models/dataModel.${domain}/master/context.jsonld`;

const attr = (object_id: string, name: string, type: string, unitCode?: string, expression?: string): AttributeMapping => {
  const a: AttributeMapping = { object_id, name, type };
  if (unitCode) a.unitCode = unitCode;
  if (expression) a.expression = expression;
  return a;
};
const point = (p: Position) => ({ name: 'location', type: 'geo:json', value: { type: 'Point', coordinates: p } });
const text = (name: string, value: string) => ({ name, type: 'Text', value });
const num = (name: string, value: number, unitCode?: string) => ({ name, type: 'Number', value, ...(unitCode ? { unitCode } : {}) });
const lerp = (a: Position, b: Position, f: number): Position => [Math.round((a[0] + (b[0] - a[0]) * f) * 1e6) / 1e6, Math.round((a[1] + (b[1] - a[1]) * f) * 1e6) / 1e6];
const pad = (n: number) => String(n).padStart(4, '0');
/** A position inside the city's street grid, drawn from the seed. */
function spot(ctx: SimContext, what: string, n: number): Position {
  const g = ctx.city.intersections;
  const r = hashNoise(ctx.seed, what, n, 'r') * (g.length - 1);
  const c = hashNoise(ctx.seed, what, n, 'c') * (g.length - 1);
  const [ri, ci] = [Math.floor(r), Math.floor(c)];
  const top = lerp(g[ri][ci], g[ri][ci + 1], c - ci);
  const bottom = lerp(g[ri + 1][ci], g[ri + 1][ci + 1], c - ci);
  return lerp(top, bottom, r - ri);
}
const districtName = (ctx: SimContext, p: Position) => districtOf(ctx.city, p)?.name ?? 'Outskirts';
const device = (scenario: string, apikey: string, type: string, i: number, position: Position, periodMs: number, statics: SimDevice['static_attributes'], data: Record<string, unknown> = {}): SimDevice => ({
  deviceId: `${scenario}-${pad(i + 1)}`,
  apikey,
  entityId: `urn:ngsi-ld:${type}:demo-${scenario}-${pad(i + 1)}`,
  index: i,
  position,
  periodMs,
  static_attributes: statics,
  data,
});

/** Position, heading and distance to the next stop of a bus driving back and forth along its route. */
function busState(path: Position[], offsetM: number): { position: Position; heading: number; nearStop: boolean } {
  const legs = path.slice(1).map((p, i) => distanceM(path[i], p));
  const total = legs.reduce((a, b) => a + b, 0);
  let s = ((offsetM % (2 * total)) + 2 * total) % (2 * total);
  const forward = s < total;
  if (!forward) s = 2 * total - s;
  let i = 0;
  while (i < legs.length - 1 && s > legs[i]) s -= legs[i++];
  const f = legs[i] === 0 ? 0 : s / legs[i];
  const [a, b] = forward ? [path[i], path[i + 1]] : [path[i + 1], path[i]];
  const heading = (((Math.atan2(b[0] - a[0], b[1] - a[1]) * 180) / Math.PI + 360) % 360) % 360;
  const nearStop = Math.min(s, legs[i] - s) < 25;
  return { position: lerp(path[i], path[i + 1], f), heading: Math.round(heading) % 360, nearStop };
}

const BUS_SPEED_MS = 6.5;

export const SCENARIOS: Scenario[] = [
  {
    name: 'bus',
    apikey: 'demo-bus',
    entityType: 'Vehicle',
    domain: 'Transportation',
    format: 'ul',
    observedAtAttribute: 'observationDateTime',
    attributes: [attr('l', 'location', 'geo:point'), attr('s', 'speed', 'Number', 'KMH'), attr('h', 'heading', 'Number', 'DD'), attr('st', 'serviceStatus', 'Text')],
    devices: (ctx) =>
      Array.from({ length: 40 }, (_, i) => {
        const route = ctx.city.routes[i % ctx.city.routes.length];
        return device('bus', 'demo-bus', 'Vehicle', i, route.path[0], 10_000, [
          text('vehicleType', 'bus'),
          { name: 'category', type: 'Property', value: ['public'] },
          { name: 'serviceProvided', type: 'Property', value: ['urbanTransit'] },
          text('name', `Bus ${i + 1} (line ${route.shortName})`),
          text('fleetVehicleId', `BUS-${pad(i + 1)}`),
          text('vehiclePlateIdentifier', `UR-${1000 + i}`),
        ], { route: route.id, offsetM: hashNoise(ctx.seed, 'bus', i) * 20_000 });
      }),
    measure(d, t, ctx) {
      const route = ctx.city.routes.find((r) => r.id === d.data.route)!;
      const night = hourOf(t) >= 1 && hourOf(t) < 5;
      const st = busState(route.path, (d.data.offsetM as number) + (night ? 0 : (BUS_SPEED_MS * t) / 1000));
      const speed = night || st.nearStop ? 0 : r1(clamp(BUS_SPEED_MS * 3.6 * (1 + 0.3 * jitter(ctx.seed, d.deviceId, t)) * (1 - 0.4 * trafficLevel(t)), 3, 60));
      return { l: `${st.position[1]},${st.position[0]}`, s: speed, h: st.heading, st: night ? 'parked' : 'onRoute' };
    },
  },
  {
    name: 'traffic',
    apikey: 'demo-traffic',
    entityType: 'TrafficFlowObserved',
    domain: 'Transportation',
    format: 'ul',
    observedAtAttribute: 'dateObserved',
    attributes: [attr('i', 'intensity', 'Integer'), attr('o', 'occupancy', 'Number', 'C62'), attr('v', 'averageVehicleSpeed', 'Number', 'KMH'), attr('c', 'congested', 'Boolean')],
    devices: (ctx) =>
      ctx.city.roads.map((road, i) =>
        device('traffic', 'demo-traffic', 'TrafficFlowObserved', i, lerp(road.from, road.to, 0.5), 60_000, [
          { name: 'location', type: 'geo:json', value: { type: 'LineString', coordinates: [road.from, road.to] } },
          text('name', `${road.name} (segment ${road.id})`),
          text('refRoadSegment', `urn:ngsi-ld:RoadSegment:${road.id}`),
          text('laneDirection', 'forward'),
        ], { road: i }),
      ),
    measure(d, t, ctx) {
      const jam = ctx.incidents.active('jam', t).some((e) => Math.abs(e.target - d.index) <= 1);
      const level = trafficLevel(t) * (0.75 + 0.5 * hashNoise(ctx.seed, 'road-capacity', d.index));
      const occupancy = jam ? 0.85 + 0.1 * Math.abs(jitter(ctx.seed, d.deviceId, t)) : clamp(level * 0.6 + 0.05 * jitter(ctx.seed, d.deviceId, t, 'o'), 0.01, 0.8);
      const intensity = Math.round(jam ? 3 + 4 * Math.abs(jitter(ctx.seed, d.deviceId, t)) : 25 * level * (1 + 0.15 * jitter(ctx.seed, d.deviceId, t, 'i')));
      const speed = jam ? 4 + 8 * Math.abs(jitter(ctx.seed, d.deviceId, t, 'v')) : 50 * (1 - 0.55 * occupancy) * (1 + 0.08 * jitter(ctx.seed, d.deviceId, t, 'v'));
      return { i: Math.max(0, intensity), o: r2(occupancy), v: r1(speed), c: jam || occupancy > 0.7 };
    },
  },
  {
    name: 'river',
    apikey: 'demo-river',
    entityType: 'FloodMonitoring',
    domain: 'Environment',
    format: 'ul',
    observedAtAttribute: 'observationDateTime',
    attributes: [attr('l', 'currentLevel', 'Number', 'MTR'), attr('s', 'floodLevelStatus', 'Text')],
    devices: (ctx) =>
      ctx.city.gauges.map((g, i) =>
        device('river', 'demo-river', 'FloodMonitoring', i, g.position, 60_000, [
          point(g.position),
          text('name', g.name),
          text('stationID', g.id),
          num('referenceLevel', 0, 'MTR'),
          num('alertLevel', 3, 'MTR'),
          num('dangerLevel', 4, 'MTR'),
        ]),
      ),
    measure(d, t, ctx) {
      const downstream = 0.7 + (0.6 * d.index) / 11;
      const level = 1.3 + 0.15 * smoothNoise(t, 24 * HOUR, ctx.seed, 'river') + ctx.incidents.riverRise(t) * downstream + 0.01 * jitter(ctx.seed, d.deviceId, t);
      const l = r2(Math.max(0.2, level));
      return { l, s: l >= 4 ? 'Danger' : l >= 3 ? 'Alert' : 'Normal' };
    },
  },
  {
    name: 'camera-people',
    apikey: 'demo-camera-people',
    entityType: 'CrowdFlowObserved',
    domain: 'Transportation',
    format: 'json',
    observedAtAttribute: 'dateObserved',
    attributes: [attr('peopleCount', 'peopleCount', 'Integer'), attr('congested', 'congested', 'Boolean')],
    devices: (ctx) =>
      Array.from({ length: 75 }, (_, i) => {
        const p = i < ctx.city.stops.length ? ctx.city.stops[i].position : spot(ctx, 'camera-people', i);
        return device('camera-people', 'demo-camera-people', 'CrowdFlowObserved', i, p, 60_000, [point(p), text('name', `People counter ${i + 1} (${districtName(ctx, p)})`)]);
      }),
    measure(d, t, ctx) {
      const n = Math.round(footfall(t) * (20 + 60 * hashNoise(ctx.seed, 'busy', d.deviceId)) * (1 + 0.25 * jitter(ctx.seed, d.deviceId, t)));
      return { peopleCount: Math.max(0, n), congested: n > 60 };
    },
  },
  {
    name: 'camera-vehicles',
    apikey: 'demo-camera-vehicles',
    entityType: 'TrafficFlowObserved',
    domain: 'Transportation',
    format: 'json',
    observedAtAttribute: 'dateObserved',
    attributes: [attr('vehicles', 'intensity', 'Integer')],
    devices: (ctx) =>
      Array.from({ length: 75 }, (_, i) => {
        const road = ctx.city.roads[(i * 7) % ctx.city.roads.length];
        const p = lerp(road.from, road.to, 0.25);
        return device('camera-vehicles', 'demo-camera-vehicles', 'TrafficFlowObserved', i, p, 60_000, [point(p), text('name', `Traffic camera ${i + 1} (${road.name})`), text('vehicleType', 'car')], { road: (i * 7) % ctx.city.roads.length });
      }),
    measure(d, t, ctx) {
      const jam = ctx.incidents.active('jam', t).some((e) => Math.abs(e.target - (d.data.road as number)) <= 1);
      return { vehicles: Math.max(0, Math.round((jam ? 4 : 22 * trafficLevel(t)) * (1 + 0.2 * jitter(ctx.seed, d.deviceId, t)))) };
    },
  },
  {
    name: 'streetlight',
    apikey: 'demo-streetlight',
    entityType: 'Streetlight',
    domain: 'Streetlighting',
    format: 'ul',
    observedAtAttribute: 'observationDateTime',
    attributes: [attr('p', 'powerState', 'Text'), attr('d', 'illuminanceLevel', 'Number', 'C62'), attr('w', 'powerConsumption', 'Number', 'WTT'), attr('s', 'status', 'Text')],
    devices: (ctx) => {
      const roads = ctx.city.roads;
      return Array.from({ length: 1000 }, (_, i) => {
        const road = roads[i % roads.length];
        const p = lerp(road.from, road.to, ((Math.floor(i / roads.length) + 0.5) / Math.ceil(1000 / roads.length)));
        return device('streetlight', 'demo-streetlight', 'Streetlight', i, p, 120_000, [
          point(p),
          text('status', 'ok'),
          text('locationCategory', 'road'),
          num('powerRating', 150, 'WTT'),
          text('circuit', `C-${road.id}`),
        ]);
      });
    },
    measure(d, t, ctx) {
      if (ctx.incidents.lampFailed(d.index, t)) return { p: 'off', d: 0, w: 0, s: 'defectiveLamp' };
      if (!isDark(t)) return { p: 'off', d: 0, w: r1(0.5 + 0.1 * jitter(ctx.seed, d.deviceId, t)), s: 'ok' };
      const level = hourOf(t) >= 0 && hourOf(t) < 5 ? 0.5 : 1;
      return { p: 'on', d: level, w: r1(150 * level * (1 + 0.03 * jitter(ctx.seed, d.deviceId, t))), s: 'ok' };
    },
  },
  {
    name: 'weather',
    apikey: 'demo-weather',
    entityType: 'WeatherObserved',
    domain: 'Weather',
    format: 'json',
    observedAtAttribute: 'dateObserved',
    attributes: [
      attr('t', 'temperature', 'Number', 'CEL'),
      attr('h', 'relativeHumidity', 'Number', undefined, 'h / 100'),
      attr('p', 'atmosphericPressure', 'Number', 'A97'),
      attr('ws', 'windSpeed', 'Number', 'MTS'),
      attr('wd', 'windDirection', 'Number', 'DD'),
      attr('r', 'precipitation', 'Number'),
    ],
    devices: (ctx) =>
      Array.from({ length: 10 }, (_, i) => {
        const p = i < 9 ? ctx.city.parks[i % ctx.city.parks.length].center : ctx.city.center;
        const q = i < ctx.city.parks.length ? p : spot(ctx, 'weather', i);
        return device('weather', 'demo-weather', 'WeatherObserved', i, q, 60_000, [point(q), text('name', `Weather station ${i + 1} (${districtName(ctx, q)})`)]);
      }),
    measure(d, t, ctx) {
      const w = weatherAt(ctx.seed, ctx.incidents, t, d.index);
      return { t: w.temperature, h: w.humidity, p: w.pressure, ws: w.windSpeed, wd: w.windDirection, r: w.rain };
    },
  },
  {
    name: 'air',
    apikey: 'demo-air',
    entityType: 'AirQualityObserved',
    domain: 'Environment',
    format: 'json',
    observedAtAttribute: 'dateObserved',
    attributes: [
      attr('pm25', 'pm25', 'Number', 'GQ'),
      attr('pm10', 'pm10', 'Number', 'GQ'),
      attr('no2', 'no2', 'Number', 'GQ'),
      attr('o3', 'o3', 'Number', 'GQ'),
      attr('aqi', 'airQualityIndex', 'Integer'),
      attr('level', 'airQualityLevel', 'Text'),
    ],
    devices: (ctx) =>
      Array.from({ length: 40 }, (_, i) => {
        const p = spot(ctx, 'air', i);
        const district = Number((districtOf(ctx.city, p)?.id ?? 'district-0').split('-')[1]);
        return device('air', 'demo-air', 'AirQualityObserved', i, p, 60_000, [point(p), text('name', `Air quality station ${i + 1} (${districtName(ctx, p)})`), text('typeofLocation', 'outdoor')], { district });
      }),
    measure(d, t, ctx) {
      const episode = ctx.incidents.active('pollution', t).find((e) => e.target + 1 === d.data.district);
      const boost = episode ? 1 + 2.5 * episode.strength : 1;
      const traffic = trafficLevel(t);
      const h = hourOf(t);
      const j = (w: string) => 1 + 0.12 * jitter(ctx.seed, d.deviceId, t, w);
      const no2 = (12 + 55 * traffic) * boost * j('no2');
      const pm25 = (6 + 14 * traffic + 4 * smoothNoise(t, 12 * HOUR, ctx.seed, 'pm')) * boost * j('pm25');
      const pm10 = pm25 * 1.7 * j('pm10');
      const o3 = clamp(30 + 60 * Math.max(0, Math.sin(((h - 8) / 14) * Math.PI)) - 0.3 * no2, 5, 240) * j('o3');
      // European AQI bands: the worst pollutant decides.
      const sub = Math.max((pm25 / 25) * 100, (pm10 / 50) * 100, (no2 / 120) * 100, (o3 / 130) * 100);
      const aqi = Math.round(sub);
      const level = aqi < 50 ? 'good' : aqi < 100 ? 'moderate' : aqi < 150 ? 'unhealthyForSensitiveGroups' : aqi < 200 ? 'unhealthy' : 'veryUnhealthy';
      return { pm25: r1(pm25), pm10: r1(pm10), no2: r1(no2), o3: r1(o3), aqi, level };
    },
  },
  {
    name: 'fire',
    apikey: 'demo-fire',
    entityType: 'FireForestStatus',
    domain: 'Forestry',
    format: 'ul',
    attributes: [attr('s', 'smokeDetected', 'Boolean'), attr('sc', 'smokeDetectedConfidence', 'Number'), attr('f', 'fireDetected', 'Boolean'), attr('fc', 'fireDetectedConfidence', 'Number')],
    devices: (ctx) =>
      Array.from({ length: 40 }, (_, i) => {
        const park = ctx.city.parks[i % ctx.city.parks.length];
        const p = lerp(park.center, park.ring[i % 4], 0.2 + 0.6 * hashNoise(ctx.seed, 'fire', i));
        return device('fire', 'demo-fire', 'FireForestStatus', i, p, 120_000, [point(p), text('name', `Fire detector ${i + 1} (${park.name})`)]);
      }),
    measure(d, t, ctx) {
      const alarm = ctx.incidents.active('smoke', t).some((e) => e.target === d.index);
      const c = r2(alarm ? 0.8 + 0.19 * Math.abs(jitter(ctx.seed, d.deviceId, t)) : 0.02 * Math.abs(jitter(ctx.seed, d.deviceId, t)));
      return { s: alarm, sc: c, f: false, fc: r2(c / 10) };
    },
  },
  {
    name: 'smoke',
    apikey: 'demo-smoke',
    entityType: 'DeviceMeasurement',
    format: 'ul',
    observedAtAttribute: 'dateObserved',
    attributes: [attr('v', 'numValue', 'Number', 'P1'), attr('a', 'textValue', 'Text')],
    devices: (ctx) =>
      Array.from({ length: 260 }, (_, i) => {
        const p = spot(ctx, 'smoke', i);
        return device('smoke', 'demo-smoke', 'DeviceMeasurement', i, p, 120_000, [point(p), text('name', `Smoke detector ${i + 1} (${districtName(ctx, p)})`), text('controlledProperty', 'smoke')]);
      }),
    measure(d, t, ctx) {
      const alarm = ctx.incidents.active('smoke', t).some((e) => e.target === d.index + 40);
      return { v: r2(alarm ? 12 + 6 * Math.abs(jitter(ctx.seed, d.deviceId, t)) : 0.2 * Math.abs(jitter(ctx.seed, d.deviceId, t))), a: alarm ? 'alarm' : 'clear' };
    },
  },
  {
    name: 'water-meter',
    apikey: 'demo-water-meter',
    entityType: 'WaterConsumptionObserved',
    domain: 'WaterConsumption',
    format: 'ul',
    attributes: [attr('c', 'waterConsumption', 'Integer', 'LTR'), attr('max', 'maxFlow', 'Integer'), attr('min', 'minFlow', 'Integer'), attr('leak', 'alarmInProgress', 'Integer')],
    devices: (ctx) =>
      Array.from({ length: 300 }, (_, i) => {
        const p = spot(ctx, 'meter', i);
        return device('water-meter', 'demo-water-meter', 'WaterConsumptionObserved', i, p, 120_000, [point(p), text('name', `Water meter ${i + 1} (${districtName(ctx, p)})`)]);
      }),
    measure(d, t, ctx) {
      const leak = hashNoise(ctx.seed, 'leak', d.index, Math.floor(t / (24 * HOUR))) < 0.02;
      const flow = waterUse(t) * (20 + 40 * hashNoise(ctx.seed, 'household', d.index)) * (1 + 0.3 * jitter(ctx.seed, d.deviceId, t)) + (leak ? 6 : 0);
      const litres = Math.max(0, Math.round((flow * d.periodMs) / 3_600_000 * 10));
      return { c: litres, max: Math.round(flow * 1.6 * 10), min: leak ? 60 : 0, leak: leak ? 1 : 0 };
    },
  },
  {
    name: 'water-quality',
    apikey: 'demo-water-quality',
    entityType: 'WaterQualityObserved',
    domain: 'WaterQuality',
    format: 'json',
    observedAtAttribute: 'dateObserved',
    attributes: [attr('ph', 'pH', 'Number'), attr('turbidity', 'turbidity', 'Number', 'NTU'), attr('cl', 'Cl-', 'Number', 'M1'), attr('temp', 'temperature', 'Number', 'CEL'), attr('ec', 'conductivity', 'Number')],
    devices: (ctx) =>
      Array.from({ length: 20 }, (_, i) => {
        const p = i < 8 ? ctx.city.river[6 + i * 5] : spot(ctx, 'wq', i);
        return device('water-quality', 'demo-water-quality', 'WaterQualityObserved', i, p, 60_000, [point(p), text('name', `${i < 8 ? 'River' : 'Network'} water quality ${i + 1}`)], { river: i < 8 });
      }),
    measure(d, t, ctx) {
      const rain = ctx.incidents.rain(t);
      const river = d.data.river as boolean;
      const j = (w: string) => jitter(ctx.seed, d.deviceId, t, w);
      return {
        ph: r2(7.4 + 0.15 * j('ph') + 0.2 * smoothNoise(t, 6 * HOUR, ctx.seed, 'ph', d.index)),
        turbidity: r2(river ? 4 + rain * 6 + 1.5 * Math.abs(j('tu')) : 0.3 + 0.15 * Math.abs(j('tu'))),
        cl: r2(river ? 0 : clamp(0.5 + 0.15 * j('cl'), 0.2, 1)),
        temp: r1((river ? 12 : 14) + 2 * Math.cos(((hourOf(t) - 16) / 24) * 2 * Math.PI) + 0.3 * j('te')),
        ec: Math.round((river ? 420 : 510) + 25 * j('ec')),
      };
    },
  },
];
