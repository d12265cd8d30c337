/**
 * What the app knows about the city's entity types: their domain (map layer), @context, state
 * (derived from their attributes), main reading, and the sensors as GeoJSON points.
 */
export type Domain = 'mobility' | 'environment' | 'water' | 'energy' | 'safety';
export type State = 'ok' | 'warning' | 'alert' | 'off';
export type Row = Record<string, unknown> & { id: string; type: string };

export const DOMAINS: Domain[] = ['mobility', 'environment', 'water', 'energy', 'safety'];
export const STATES: State[] = ['ok', 'warning', 'alert', 'off'];

const sdm = (d: string) => `https://raw.githubusercontent.com/smart-data-models/dataModel.${d}/master/context.jsonld`;
const CORE = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld';

interface TypeInfo {
  domain: Domain;
  context: string;
  /** The attribute shown as the sensor's reading. */
  reading: string;
  /** The attributes the state and the map depend on: what replay reads from history. */
  live: string[];
  state(r: Row): State;
}

const num = (v: unknown) => (typeof v === 'number' ? v : NaN);

export const TYPES: Record<string, TypeInfo> = {
  Vehicle: { domain: 'mobility', context: sdm('Transportation'), reading: 'speed', live: ['speed', 'serviceStatus', 'location'], state: (r) => (r.serviceStatus === 'parked' ? 'off' : 'ok') },
  TrafficFlowObserved: { domain: 'mobility', context: sdm('Transportation'), reading: 'intensity', live: ['intensity', 'congested'], state: (r) => (r.congested === true ? 'warning' : 'ok') },
  CrowdFlowObserved: { domain: 'mobility', context: sdm('Transportation'), reading: 'peopleCount', live: ['peopleCount', 'congested'], state: (r) => (r.congested === true ? 'warning' : 'ok') },
  AirQualityObserved: { domain: 'environment', context: sdm('Environment'), reading: 'airQualityIndex', live: ['airQualityIndex'], state: (r) => (num(r.airQualityIndex) > 150 ? 'alert' : num(r.airQualityIndex) > 100 ? 'warning' : 'ok') },
  WeatherObserved: { domain: 'environment', context: sdm('Weather'), reading: 'temperature', live: ['temperature'], state: () => 'ok' },
  FloodMonitoring: { domain: 'water', context: sdm('Environment'), reading: 'currentLevel', live: ['currentLevel', 'floodLevelStatus'], state: (r) => (r.floodLevelStatus === 'Danger' ? 'alert' : r.floodLevelStatus === 'Alert' ? 'warning' : 'ok') },
  WaterConsumptionObserved: { domain: 'water', context: sdm('WaterConsumption'), reading: 'waterConsumption', live: ['waterConsumption', 'alarmInProgress'], state: (r) => (r.alarmInProgress === true ? 'alert' : 'ok') },
  WaterQualityObserved: { domain: 'water', context: sdm('WaterQuality'), reading: 'pH', live: ['pH'], state: (r) => (num(r.pH) < 6.5 || num(r.pH) > 8.5 ? 'warning' : 'ok') },
  Streetlight: { domain: 'energy', context: sdm('Streetlighting'), reading: 'illuminanceLevel', live: ['illuminanceLevel', 'status', 'powerState'], state: (r) => (r.status === 'defectiveLamp' ? 'alert' : r.powerState === 'off' ? 'off' : 'ok') },
  FireForestStatus: { domain: 'safety', context: sdm('Forestry'), reading: 'smokeDetectedConfidence', live: ['smokeDetectedConfidence', 'fireDetected', 'smokeDetected'], state: (r) => (r.fireDetected === true ? 'alert' : r.smokeDetected === true ? 'warning' : 'ok') },
  DeviceMeasurement: { domain: 'safety', context: CORE, reading: 'numValue', live: ['numValue', 'textValue'], state: (r) => (r.textValue === 'alarm' ? 'alert' : 'ok') },
};

export const linkHeader = (context: string) => `<${context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;
export const typeInfo = (type: string): TypeInfo | undefined => TYPES[type];
export const stateOf = (r: Row): State => typeInfo(r.type)?.state(r) ?? 'ok';
export const domainOfRow = (r: Row): Domain | undefined => typeInfo(r.type)?.domain;

/** A point for the map: the location itself, or the middle of a line (road segments). */
export function pointOf(r: Row): [number, number] | undefined {
  const g = r.location as { type?: string; coordinates?: unknown } | undefined;
  if (!g || !Array.isArray(g.coordinates)) return undefined;
  if (g.type === 'Point') return g.coordinates as [number, number];
  if (g.type === 'LineString') {
    const c = g.coordinates as Array<[number, number]>;
    const a = c[0];
    const b = c[c.length - 1];
    return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  }
  return undefined;
}

/** A filter from the vital signs: one type, optionally one attribute value. */
export interface Filter {
  type: string;
  attribute?: string;
  value?: string;
}

export function matches(r: Row, f: Filter | undefined): boolean {
  if (!f) return true;
  if (r.type !== f.type) return false;
  return f.attribute === undefined || String(r[f.attribute]) === f.value;
}
