/**
 * Geo-queries on the PostgreSQL broker store (PostGIS) select exactly what the broker's own
 * predicates (src/broker/geo, used by the SQLite store and by subscriptions) select: randomized
 * geometries of every type on a grid (so that points fall on edges and vertices are shared) and
 * randomized geo-queries of every georel, through queryEntities, against matchesGeoQuery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../src/broker/model.js';
import type { Geometry, Position } from '../../src/broker/geo/geometry.js';
import { matchesGeoQuery, parseGeorel, type GeoQuery } from '../../src/broker/geo/geo-query.js';
import { rng } from '../helpers/random.js';
import { brokerDatabase, type BrokerDatabase, type BrokerNode } from './broker-helpers.js';

const NS = 'https://example.org/ns/';
const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
const random = rng(4_041_2026);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
/** A grid of 1/64 degree around Barcelona: exact in binary, so that collinear points are exactly so. */
const cell = () => Math.floor(random() * 9);
const at = (x: number, y: number): Position => [2 + x / 64, 41.25 + y / 64];

function geometry(): Geometry {
  const x = cell();
  const y = cell();
  const w = 1 + Math.floor(random() * 4);
  const h = 1 + Math.floor(random() * 4);
  const box = (x0: number, y0: number, bw: number, bh: number): Position[] => [at(x0, y0), at(x0 + bw, y0), at(x0 + bw, y0 + bh), at(x0, y0 + bh), at(x0, y0)];
  switch (pick(['Point', 'Point', 'MultiPoint', 'LineString', 'Polygon', 'Polygon', 'Triangle', 'Holed', 'MultiPolygon'])) {
    case 'Point':
      return { type: 'Point', coordinates: random() < 0.7 ? at(x, y) : at(x + random(), y + random()) };
    case 'MultiPoint':
      return { type: 'MultiPoint', coordinates: [at(x, y), at(cell(), cell())] };
    case 'LineString':
      return { type: 'LineString', coordinates: [at(x, y), at(x + w, y), at(x + w, y + h)] };
    case 'Triangle':
      return { type: 'Polygon', coordinates: [[at(x, y), at(x + 2 * w, y), at(x, y + 2 * w), at(x, y)]] };
    case 'Holed':
      return { type: 'Polygon', coordinates: [box(x, y, 4, 4), box(x + 1, y + 1, 2, 2).reverse()] };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: [[box(x, y, w, h)], [box(x + w + 1, y, 1, 1)]] };
    default:
      return { type: 'Polygon', coordinates: [box(x, y, w, h)] };
  }
}

const ENTITIES: Entity[] = Array.from({ length: 160 }, (_, i) => {
  const attrs: Entity['attrs'] = {};
  if (i % 10 !== 9) attrs[LOCATION] = [{ type: 'GeoProperty', value: geometry() }];
  if (i % 4 === 0) attrs[NS + 'area'] = [{ type: 'GeoProperty', value: geometry() }];
  if (i % 7 === 0) attrs[NS + 'note'] = [{ type: 'Property', value: { type: 'Point', coordinates: at(1, 1) } }];
  return { id: `urn:ngsi-ld:Thing:${i}`, types: [NS + 'Thing'], createdAt: '2024-01-01T00:00:00Z', modifiedAt: '2024-01-01T00:00:00Z', attrs };
});

const GEORELS = ['near;maxDistance==0', 'near;maxDistance==200', 'near;maxDistance==1500', 'near;maxDistance==4000', 'near;minDistance==0', 'near;minDistance==1500',
  'near;minDistance==6000', 'within', 'contains', 'intersects', 'disjoint', 'equals', 'overlaps'];

let pg: BrokerDatabase;
let node: BrokerNode;

beforeAll(async () => {
  pg = await brokerDatabase();
  node = await pg.node();
  await node.store.restoreEntities('', ENTITIES);
});

afterAll(async () => {
  await pg?.drop();
});

describe('geo-queries on PostGIS agree with the broker predicates', () => {
  it('on 400 random geo-queries over 160 random entities', async () => {
    let splitting = 0;
    for (let i = 0; i < 400; i++) {
      const geoproperty = i % 5 === 0 ? NS + 'area' : i % 17 === 0 ? NS + 'note' : LOCATION;
      const geoQ: GeoQuery & { geoproperty: string } = { georel: parseGeorel(pick(GEORELS)), geometry: geometry(), geoproperty };
      const expected = ENTITIES.filter((e) => (e.attrs[geoproperty] ?? []).some((a) => a.type === 'GeoProperty' && matchesGeoQuery(geoQ, a.value as Geometry))).map((e) => e.id);
      const page = await node.store.queryEntities('', { geoQ, expand: (t) => t, limit: 1000, offset: 0, count: true });
      expect(page.entities.map((e) => e.id), JSON.stringify(geoQ)).toEqual(expected);
      expect(page.count).toBe(expected.length);
      if (expected.length > 0 && expected.length < ENTITIES.length / 2) splitting++;
    }
    expect(splitting).toBeGreaterThan(120);
  });
});
