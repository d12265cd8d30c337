/**
 * Entity queries of the SQLite broker store that draw their candidates from an index (the
 * R-tree, a q term's value index, the types; broker-store.ts candidates): the same answers as the
 * query's conditions say, whether the attribute holds one value per entity or several (datasetIds,
 * lists), with counts, pages and access filters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGeoQuery } from '../../src/broker/geo/geo-query.js';
import type { AttrInstance } from '../../src/broker/model.js';
import * as m from '../../src/broker/mutations.js';
import { parseQ } from '../../src/broker/query/q-parser.js';
import { parseTypeSelection } from '../../src/broker/query/type-selection.js';
import type { EntityQuery } from '../../src/broker/store.js';
import { SqliteBrokerStore } from '../../src/store/sqlite/broker-store.js';

const NS = 'https://example.org/';
const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
const expand = (t: string) => (t.includes(':') ? t : NS + t);
const dir = mkdtempSync(path.join(tmpdir(), 'urbis-candidates-'));
let store: SqliteBrokerStore;

const P = (value: unknown, datasetId?: string): AttrInstance => (datasetId ? { type: 'Property', value, datasetId } : { type: 'Property', value });
const at = (x: number): AttrInstance => ({ type: 'GeoProperty', value: { type: 'Point', coordinates: [2 + x * 0.001, 41] } });

beforeAll(async () => {
  store = new SqliteBrokerStore(path.join(dir, 'urbis.db'));
  const entities: Array<[string, string, Record<string, AttrInstance[]>]> = [];
  // 40 sensors and lamps with one temperature each, on a line of points 84 m apart.
  for (let k = 0; k < 40; k++) entities.push([`urn:e:${k}`, k % 2 ? 'Lamp' : 'Sensor', { temperature: [P(k)], location: [at(k)] }]);
  const now = new Date().toISOString();
  await store.mutateEntities(
    '',
    entities.map(([id, type, attrs]) => ({
      id,
      mutate: m.createEntity({ id, types: [expand(type)], attrs: Object.fromEntries(Object.entries(attrs).map(([n, v]) => [n === 'location' ? LOCATION : expand(n), v])) }, now),
    })),
  );
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = async (q: Partial<EntityQuery>) => {
  const page = await store.queryEntities('', { expand, limit: 100, offset: 0, count: true, ...q });
  return { ids: page.entities.map((e) => e.id), count: page.count };
};
const sensors = [{ typeSelection: parseTypeSelection('Sensor') }];
const near = (x: number, metres: number) => ({ ...parseGeoQuery({ georel: `near;maxDistance==${metres}`, geometry: 'Point', coordinates: `[${2 + x * 0.001},41]` })!, geoproperty: LOCATION });

describe('queries drawing candidates from an index', () => {
  it('answers a bounded q range with a type, while every temperature is a single value', async () => {
    expect(await ids({ q: parseQ('temperature>=10;temperature<16'), entities: sensors })).toEqual({ ids: ['urn:e:10', 'urn:e:12', 'urn:e:14'], count: 3 });
    expect(await ids({ q: parseQ('temperature>=10;temperature<16;temperature!=12'), entities: sensors, limit: 1, offset: 1 })).toEqual({ ids: ['urn:e:14'], count: 2 });
  });

  it('finds entities whose several values meet the terms separately', async () => {
    const now = new Date().toISOString();
    // Sensor 2 gets a second temperature (a datasetId), lamp 3 a list of readings.
    await store.mutateEntity('', 'urn:e:2', m.appendAttrs({ id: 'urn:e:2', attrs: { [expand('temperature')]: [P(30, 'urn:ds:b')] } }, false, now));
    await store.mutateEntity('', 'urn:e:3', m.appendAttrs({ id: 'urn:e:3', attrs: { [expand('temperature')]: [P([1, 40])] } }, false, now));
    // 2 has 2 and 30: one >= 25, one < 5; 3 has [1, 40]; 4 has 4 only (not >= 25).
    expect(await ids({ q: parseQ('temperature>=25;temperature<5') })).toEqual({ ids: ['urn:e:2', 'urn:e:3'], count: 2 });
    expect(await ids({ q: parseQ('temperature>=25;temperature<5'), entities: sensors })).toEqual({ ids: ['urn:e:2'], count: 1 });
    expect(await ids({ q: parseQ('temperature==30') })).toEqual({ ids: ['urn:e:2', 'urn:e:30'], count: 2 });
  });

  it('answers a geo-query with a type, a q and an access filter', async () => {
    expect(await ids({ geoQ: near(20, 200) })).toEqual({ ids: ['urn:e:18', 'urn:e:19', 'urn:e:20', 'urn:e:21', 'urn:e:22'], count: 5 });
    expect(await ids({ geoQ: near(20, 200), entities: sensors })).toEqual({ ids: ['urn:e:18', 'urn:e:20', 'urn:e:22'], count: 3 });
    expect(await ids({ geoQ: near(20, 200), entities: sensors, q: parseQ('temperature>19') })).toEqual({ ids: ['urn:e:20', 'urn:e:22'], count: 2 });
    expect(await ids({ geoQ: near(20, 200), readFilter: { hiddenTypes: [expand('Lamp')] } })).toEqual({ ids: ['urn:e:18', 'urn:e:20', 'urn:e:22'], count: 3 });
    expect(await ids({ geoQ: near(20, 200), readFilter: { hiddenAttrs: [LOCATION] } })).toEqual({ ids: [], count: 0 });
  });

  it('answers a type selection alone, and several types', async () => {
    const page = await ids({ entities: [{ typeSelection: parseTypeSelection('Lamp|Sensor') }], limit: 3 });
    expect(page).toEqual({ ids: ['urn:e:0', 'urn:e:1', 'urn:e:2'], count: 40 });
    expect((await ids({ entities: [{ typeSelection: parseTypeSelection('Lamp') }, { typeSelection: parseTypeSelection('Sensor') }] })).count).toBe(40);
    expect((await ids({ entities: [{ typeSelection: parseTypeSelection('Lamp;Sensor') }] })).count).toBe(0);
  });
});
