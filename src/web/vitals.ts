/**
 * City vital signs: indicators per domain computed from the current NGSI-LD entities (through the
 * broker store's queries, with the caller's read filter), with threshold states, and a short
 * in-memory history of each indicator (one sample a minute) for sparklines.
 */
import type { BrokerStore, EntityAccess } from '../broker/store.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { parseTypeSelection } from '../broker/query/type-selection.js';
import { renderEntity } from '../broker/output.js';
import { TYPE_CONTEXT, domainOf, type Domain } from './domains.js';

export type VitalState = 'ok' | 'warning' | 'alert';

export interface Vital {
  id: string;
  domain: Domain;
  value: number | null;
  unit?: string;
  state: VitalState;
  /** Where the map shows the cause: entity type and, optionally, the attribute value that marks it. */
  cause: { type: string; attribute?: string; value?: string | boolean };
  history: Array<{ at: string; value: number | null }>;
}

type Row = Record<string, unknown>;
const HISTORY_SAMPLES = 60;
const SAMPLE_EVERY_MS = 60_000;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const avg = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : null);
const state = (v: number | null, warn: number, alert: number): VitalState => (v === null ? 'ok' : v >= alert ? 'alert' : v >= warn ? 'warning' : 'ok');

export class Vitals {
  private readonly history = new Map<string, Array<{ at: string; value: number | null }>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: BrokerStore,
    private readonly resolver: ContextResolver,
  ) {}

  /** Samples every indicator (unfiltered) once a minute for the sparklines. */
  start(): void {
    const sample = () => void this.compute('', undefined).then((vs) => this.record(vs), () => {});
    sample();
    this.timer = setInterval(sample, SAMPLE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The indicators as `access` may see them (undefined: everything). */
  async compute(tenant: string, access: EntityAccess | undefined): Promise<Vital[]> {
    const rows = async (type: string) => this.rows(tenant, type, access);
    const [aq, buses, traffic, flood, water, lamps, smoke, fire] = await Promise.all(
      ['AirQualityObserved', 'Vehicle', 'TrafficFlowObserved', 'FloodMonitoring', 'WaterConsumptionObserved', 'Streetlight', 'DeviceMeasurement', 'FireForestStatus'].map(rows),
    );
    const aqi = avg(aq.map((r) => num(r.airQualityIndex)).filter((v): v is number => v !== undefined));
    const levels = flood.map((r) => ({ level: num(r.currentLevel), alert: num(r.alertLevel) ?? 3, danger: num(r.dangerLevel) ?? 4 }));
    const maxLevel = levels.reduce<number | null>((m, l) => (l.level !== undefined && (m === null || l.level > m) ? l.level : m), null);
    const riverState: VitalState = levels.some((l) => l.level !== undefined && l.level >= l.danger) ? 'alert' : levels.some((l) => l.level !== undefined && l.level >= l.alert) ? 'warning' : 'ok';
    const consumption = water.reduce((s, r) => s + (num(r.waterConsumption) ?? 0), 0);
    const leaks = water.filter((r) => r.alarmInProgress === true).length;
    const failing = lamps.filter((r) => r.status === 'defectiveLamp').length;
    const congested = traffic.filter((r) => r.congested === true).length;
    const inService = buses.filter((r) => r.serviceStatus === undefined || r.serviceStatus === 'onRoute').length;
    const alarms = smoke.filter((r) => r.textValue === 'alarm').length;
    const fires = fire.filter((r) => r.fireDetected === true || r.smokeDetected === true).length;
    const vitals: Array<Omit<Vital, 'history'>> = [
      { id: 'airQuality', domain: 'environment', value: aqi, state: state(aqi, 100, 150), cause: { type: 'AirQualityObserved' } },
      { id: 'riverLevel', domain: 'water', value: maxLevel, unit: 'm', state: riverState, cause: { type: 'FloodMonitoring' } },
      { id: 'waterLeaks', domain: 'water', value: leaks, state: state(leaks, 1, 5), cause: { type: 'WaterConsumptionObserved', attribute: 'alarmInProgress', value: true } },
      { id: 'waterConsumption', domain: 'water', value: Math.round(consumption), unit: 'L', state: 'ok', cause: { type: 'WaterConsumptionObserved' } },
      { id: 'busesInService', domain: 'mobility', value: inService, state: 'ok', cause: { type: 'Vehicle' } },
      { id: 'congestedRoads', domain: 'mobility', value: congested, state: state(congested, 5, 15), cause: { type: 'TrafficFlowObserved', attribute: 'congested', value: true } },
      { id: 'lampsFailing', domain: 'energy', value: failing, state: state(failing, 10, 30), cause: { type: 'Streetlight', attribute: 'status', value: 'defectiveLamp' } },
      { id: 'smokeAlarms', domain: 'safety', value: alarms, state: state(alarms, 1, 3), cause: { type: 'DeviceMeasurement', attribute: 'textValue', value: 'alarm' } },
      { id: 'parkFires', domain: 'safety', value: fires, state: state(fires, 1, 1), cause: { type: 'FireForestStatus', attribute: 'smokeDetected', value: true } },
    ];
    return vitals.map((v) => ({ ...v, history: this.history.get(v.id) ?? [] }));
  }

  private record(vs: Vital[]): void {
    const at = new Date().toISOString();
    for (const v of vs) {
      const h = this.history.get(v.id) ?? [];
      h.push({ at, value: v.value });
      if (h.length > HISTORY_SAMPLES) h.shift();
      this.history.set(v.id, h);
    }
  }

  /** Every entity of `type` the caller may read, in keyValues. */
  private async rows(tenant: string, type: string, access: EntityAccess | undefined): Promise<Row[]> {
    const ctx = await this.resolver.compile(TYPE_CONTEXT.get(type), tenant);
    const out: Row[] = [];
    if (!domainOf(type)) return out;
    const page = await this.store.queryEntities(tenant, {
      entities: [{ typeSelection: parseTypeSelection(type) }],
      expand: (t) => ctx.expandTerm(t),
      limit: 100_000,
      offset: 0,
      count: false,
      ...(access ? { readFilter: access.readFilter } : {}),
    });
    for (const e of page.entities) {
      const seen = access ? access.visible(e) : e;
      if (seen) out.push(renderEntity(seen, ctx, { format: 'keyValues', sysAttrs: false, keepId: true, keepType: true }));
    }
    return out;
  }
}
