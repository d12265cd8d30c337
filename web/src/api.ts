/** Calls to Urbis' public APIs: NGSI-LD entities and history, the city geography, vital signs, sign-in. */
import { TYPES, linkHeader, type Row } from './model';

const API = '/ngsi-ld/v1';
const PAGE = 1000;

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin' });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { detail?: string };
    throw new Error(body.detail ?? `${res.status} ${url}`);
  }
  return (await res.json()) as T;
}

/** Every entity of the known types the caller may read, in keyValues, a page of 1000 at a time. */
export async function loadEntities(): Promise<Row[]> {
  const all = await Promise.all(
    Object.entries(TYPES).map(async ([type, info]) => {
      const rows: Row[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await getJson<Row[]>(`${API}/entities?type=${type}&options=keyValues&limit=${PAGE}&offset=${offset}`, { Link: linkHeader(info.context) });
        rows.push(...page);
        if (page.length < PAGE) return rows;
      }
    }),
  );
  return all.flat();
}

export type NormalizedEntity = Record<string, unknown> & { id: string; type: string };

export const loadEntity = (id: string, type: string) =>
  getJson<NormalizedEntity>(`${API}/entities/${encodeURIComponent(id)}`, { Link: linkHeader(TYPES[type]?.context ?? '') });

export type Series = Array<[number, string]>;

/** History of one attribute: the last 60 readings, or 10-minute averages over the 24 h before `until`. */
export async function loadHistory(id: string, type: string, attr: string, range: 'recent' | 'day', until: string): Promise<Series> {
  const p = new URLSearchParams({ attrs: attr });
  if (range === 'recent') {
    p.set('lastN', '60');
    p.set('options', 'temporalValues');
  } else {
    const end = new Date(Date.parse(until) + 1000);
    p.set('timerel', 'between');
    p.set('timeAt', new Date(end.getTime() - 24 * 3600_000).toISOString());
    p.set('endTimeAt', end.toISOString());
    p.set('options', 'aggregatedValues');
    p.set('aggrMethods', 'avg');
    p.set('aggrPeriodDuration', 'PT10M');
  }
  const e = await getJson<Record<string, { values?: Series; avg?: Array<[number, string, string]> }>>(`${API}/temporal/entities/${encodeURIComponent(id)}?${p}`, {
    Link: linkHeader(TYPES[type]?.context ?? ''),
  });
  const a = e[attr];
  if (!a) return [];
  const points: Series = a.values ?? (a.avg ?? []).map(([v, start]) => [v, start] as [number, string]);
  return points.filter(([v]) => typeof v === 'number').sort((x, y) => x[1].localeCompare(y[1]));
}

export type Geography = GeoJSON.FeatureCollection;
export const loadGeography = () => getJson<Geography>('/city/geography', { Accept: 'application/geo+json' });

/** Raster tiles to draw under the city (configured on the server), or none. */
export interface MapConfig {
  tiles: string | null;
  attribution: string | null;
}
export const loadMapConfig = () => getJson<MapConfig>('/city/map', { Accept: 'application/json' });

export interface Vital {
  id: string;
  domain: string;
  value: number | null;
  unit?: string;
  state: 'ok' | 'warning' | 'alert';
  cause: { type: string; attribute?: string; value?: string | boolean };
  history: Array<{ at: string; value: number | null }>;
}
export const loadVitals = () => getJson<{ vitals: Vital[] }>('/city/vitals').then((r) => r.vitals);

export async function signIn(username: string, password: string): Promise<boolean> {
  const res = await fetch('/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }), credentials: 'same-origin' });
  return res.ok;
}

/** What one entity's state attributes were at an instant, and when the latest of them was observed. */
export interface PastState {
  attrs: Record<string, unknown>;
  at: string;
}

type TemporalValues = Record<string, unknown> & { id: string };

/**
 * The state of every sensor at `instant` from history: per type one request to the temporal API
 * (the last instance before the instant of each state attribute), a page of 1000 entities at a time.
 */
export async function loadStateAt(instant: Date): Promise<Map<string, PastState>> {
  const out = new Map<string, PastState>();
  await Promise.all(
    Object.entries(TYPES).map(async ([type, info]) => {
      for (let offset = 0; ; offset += PAGE) {
        const p = new URLSearchParams({ type, attrs: info.live.join(','), timerel: 'before', timeAt: instant.toISOString(), lastN: '1', options: 'temporalValues', limit: String(PAGE), offset: String(offset) });
        const page = await getJson<TemporalValues[]>(`${API}/temporal/entities?${p}`, { Link: linkHeader(info.context) });
        for (const e of page) {
          const past: PastState = { attrs: {}, at: '' };
          for (const name of info.live) {
            const last = (e[name] as { values?: Series } | undefined)?.values?.at(-1);
            if (!last) continue;
            past.attrs[name] = last[0];
            if (last[1] > past.at) past.at = last[1];
          }
          out.set(e.id, past);
        }
        if (page.length < PAGE) return;
      }
    }),
  );
  return out;
}
