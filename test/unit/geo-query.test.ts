import { describe, expect, it } from 'vitest';
import { rng } from '../helpers/random.js';
import { NgsiError } from '../../src/errors.js';
import { positionsOf, type Geometry, type Position } from '../../src/broker/geo/geometry.js';
import { intersects } from '../../src/broker/geo/predicates.js';
import { matchesGeoQuery, parseGeoQuery, parseGeorel, searchBox, type GeoQuery } from '../../src/broker/geo/geo-query.js';

const R = 6371008.8;
const rad = Math.PI / 180;

/** Independent destination-point formula: from [lon, lat], `metres` along `bearing` degrees. */
function destination([lon, lat]: number[], bearing: number, metres: number): Position {
  const d = metres / R;
  const f1 = lat * rad;
  const b = bearing * rad;
  const f2 = Math.asin(Math.sin(f1) * Math.cos(d) + Math.cos(f1) * Math.sin(d) * Math.cos(b));
  const l2 = lon * rad + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(f1), Math.cos(d) - Math.sin(f1) * Math.sin(f2));
  const lon2 = ((l2 / rad + 540) % 360) - 180;
  return [lon2, f2 / rad];
}

function badRequest(fn: () => unknown, fragment: string) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(NgsiError);
  expect((error as NgsiError).errorType).toBe('BadRequestData');
  expect((error as NgsiError).detail).toContain(fragment);
}

const pt = (p: Position): Geometry => ({ type: 'Point', coordinates: p });

describe('parseGeoQuery', () => {
  it('returns undefined without geo parameters', () => {
    expect(parseGeoQuery({})).toBeUndefined();
  });

  it('parses URL parameters', () => {
    const q = parseGeoQuery({ georel: 'near;maxDistance==2000', geometry: 'Point', coordinates: '[8.684,49.406]' });
    expect(q).toEqual({
      georel: { relation: 'near', bound: 'maxDistance', metres: 2000 },
      geometry: { type: 'Point', coordinates: [8.684, 49.406] },
      geoproperty: 'location',
    });
    const w = parseGeoQuery({
      georel: 'within',
      geometry: 'Polygon',
      coordinates: '[[[0,0],[1,0],[1,1],[0,1],[0,0]]]',
      geoproperty: 'observationSpace',
    });
    expect(w?.georel).toEqual({ relation: 'within' });
    expect(w?.geoproperty).toBe('observationSpace');
  });

  it('accepts already parsed coordinates (POST query body)', () => {
    const q = parseGeoQuery({ georel: 'intersects', geometry: 'LineString', coordinates: [[0, 0], [1, 1]] });
    expect(q?.geometry).toEqual({ type: 'LineString', coordinates: [[0, 0], [1, 1]] });
  });

  it('names what is missing', () => {
    badRequest(() => parseGeoQuery({ georel: 'within' }), 'geo-query: georel given but geometry and coordinates missing');
    badRequest(() => parseGeoQuery({ geometry: 'Point', coordinates: '[1,2]' }), 'georel missing');
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Point' }), 'coordinates missing');
    badRequest(() => parseGeoQuery({ geoproperty: 'location' }), 'geoproperty given but georel and geometry and coordinates missing');
  });

  it('rejects bad geometry, coordinates and geoproperty', () => {
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Circle', coordinates: '[1,2]' }), 'geometry: unsupported geometry type "Circle"; expected one of Point');
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Point', coordinates: '[1,2' }), 'coordinates: not valid JSON array text: "[1,2"');
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Point', coordinates: '1' }), 'coordinates: must be a JSON array of coordinates for a Point, got 1');
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Point', coordinates: '[1,95]' }), 'coordinates: latitude 95 out of range [-90, 90] at position []');
    badRequest(
      () => parseGeoQuery({ georel: 'within', geometry: 'Polygon', coordinates: '[[[0,0],[1,0],[1,1],[0,1]]]' }),
      'coordinates: Polygon ring 0 is not closed (first and last positions differ)',
    );
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Point', coordinates: '[[1,2]]' }), 'wrong nesting depth');
    badRequest(() => parseGeoQuery({ georel: 'within', geometry: 'Point', coordinates: '[1,2]', geoproperty: ' ' }), 'geoproperty: must be a non-empty attribute name');
  });
});

describe('parseGeorel', () => {
  it('parses every relation', () => {
    for (const r of ['within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps'] as const) {
      expect(parseGeorel(r)).toEqual({ relation: r });
    }
    expect(parseGeorel('near;minDistance==12.5')).toEqual({ relation: 'near', bound: 'minDistance', metres: 12.5 });
    expect(parseGeorel('near;maxDistance==0')).toEqual({ relation: 'near', bound: 'maxDistance', metres: 0 });
    expect(parseGeorel('near;maxDistance==1e3')).toEqual({ relation: 'near', bound: 'maxDistance', metres: 1000 });
  });

  it('rejects malformed georel with a precise message', () => {
    badRequest(() => parseGeorel('near'), 'georel: "near" needs exactly one of maxDistance==<metres> or minDistance==<metres>');
    badRequest(() => parseGeorel('near;maxDistance==1;minDistance==2'), 'needs exactly one');
    badRequest(() => parseGeorel('near;maxDistance:100'), 'georel: unrecognised near modifier "maxDistance:100"');
    badRequest(() => parseGeorel('near;distance==100'), 'unrecognised near modifier');
    badRequest(() => parseGeorel('near;maxDistance==-5'), 'georel: maxDistance must be a non-negative number of metres, got "-5"');
    badRequest(() => parseGeorel('near;maxDistance==abc'), 'got "abc"');
    badRequest(() => parseGeorel('near;maxDistance=='), 'got ""');
    badRequest(() => parseGeorel('within;maxDistance==3'), 'georel: "within" takes no modifiers');
    badRequest(() => parseGeorel('crosses'), 'georel: unknown relation "crosses"; expected near;maxDistance==<metres>');
    badRequest(() => parseGeorel(''), 'unknown relation ""');
  });
});

describe('matchesGeoQuery', () => {
  const madrid: Position = [-3.7038, 40.4168];
  const near = (bound: 'maxDistance' | 'minDistance', metres: number, geometry: Geometry = pt(madrid)): GeoQuery => ({
    georel: { relation: 'near', bound, metres },
    geometry,
    geoproperty: 'location',
  });

  it('near;maxDistance and near;minDistance at known distances', () => {
    const p1000 = destination(madrid, 37, 1000);
    expect(matchesGeoQuery(near('maxDistance', 1010), pt(p1000))).toBe(true);
    expect(matchesGeoQuery(near('maxDistance', 990), pt(p1000))).toBe(false);
    expect(matchesGeoQuery(near('minDistance', 990), pt(p1000))).toBe(true);
    expect(matchesGeoQuery(near('minDistance', 1010), pt(p1000))).toBe(false);
    // a 200 m square around a point 1 km away: its near edge is about 900 m away
    const c = destination(madrid, 90, 1000);
    const [w] = destination(c, 270, 100);
    const [e] = destination(c, 90, 100);
    const [, s] = destination(c, 180, 100);
    const [, n] = destination(c, 0, 100);
    const block: Geometry = { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
    expect(matchesGeoQuery(near('maxDistance', 905), block)).toBe(true);
    expect(matchesGeoQuery(near('maxDistance', 895), block)).toBe(false);
    // the query point inside the entity's polygon: distance 0
    expect(matchesGeoQuery(near('maxDistance', 0, pt(c)), block)).toBe(true);
  });

  it('topological relations compare the entity geometry with the query geometry', () => {
    const area: Geometry = { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]] };
    const q = (relation: 'within' | 'contains' | 'intersects' | 'equals' | 'disjoint' | 'overlaps'): GeoQuery => ({
      georel: { relation },
      geometry: area,
      geoproperty: 'location',
    });
    expect(matchesGeoQuery(q('within'), pt([5, 5]))).toBe(true);
    expect(matchesGeoQuery(q('within'), pt([10, 5]))).toBe(false);
    expect(matchesGeoQuery(q('contains'), pt([5, 5]))).toBe(false);
    const big: Geometry = { type: 'Polygon', coordinates: [[[-1, -1], [11, -1], [11, 11], [-1, 11], [-1, -1]]] };
    expect(matchesGeoQuery(q('contains'), big)).toBe(true);
    expect(matchesGeoQuery(q('intersects'), pt([10, 5]))).toBe(true);
    expect(matchesGeoQuery(q('disjoint'), pt([10, 5]))).toBe(false);
    expect(matchesGeoQuery(q('disjoint'), pt([11, 5]))).toBe(true);
    expect(matchesGeoQuery(q('equals'), area)).toBe(true);
    expect(matchesGeoQuery(q('equals'), big)).toBe(false);
    const shifted: Geometry = { type: 'Polygon', coordinates: [[[5, 5], [15, 5], [15, 15], [5, 15], [5, 5]]] };
    expect(matchesGeoQuery(q('overlaps'), shifted)).toBe(true);
    expect(matchesGeoQuery(q('overlaps'), big)).toBe(false);
  });
});

describe('searchBox', () => {
  const query = (georel: string, geometry: Geometry): GeoQuery =>
    parseGeoQuery({ georel, geometry: geometry.type, coordinates: geometry.coordinates })!;
  const inBox = ([x, y]: Position, b: number[]) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];

  it('is null when a box cannot pre-filter', () => {
    expect(searchBox(query('disjoint', pt([1, 2])))).toBeNull();
    expect(searchBox(query('near;minDistance==10', pt([1, 2])))).toBeNull();
  });

  it('expands by the distance in degrees of latitude and of longitude at that latitude', () => {
    const b = searchBox(query('near;maxDistance==1000', pt([0, 60])))!;
    const dLat = 1000 / R / rad;
    expect(b[3] - 60).toBeCloseTo(dLat, 7);
    expect(60 - b[1]).toBeCloseTo(dLat, 7);
    // at 60° a degree of longitude is half as long: about twice as many degrees
    expect(b[2] / dLat).toBeGreaterThan(1.99);
    expect(b[2] / dLat).toBeLessThan(2.02);
  });

  it('clamps at the poles and the antimeridian', () => {
    expect(searchBox(query('near;maxDistance==20000', pt([10, 89.9])))).toEqual([-180, expect.closeTo(89.72, 2), 180, 90]);
    const b = searchBox(query('near;maxDistance==5000', pt([179.99, 0])))!;
    expect([b[0], b[2]]).toEqual([-180, 180]);
    expect(searchBox(query('near;maxDistance==20000000', pt([0, 0])))).toEqual([-180, -90, 180, 90]);
  });

  it('contains every point that matches (random property check)', () => {
    const random = rng(42);
    const centres: Position[] = [[-3.7038, 40.4168], [8.684, 49.406], [24.94, 60.17], [-70.6, -33.45], [18.9, 78.2]];
    const queries: { q: GeoQuery; centre: Position }[] = [];
    for (const c of centres) {
      const ring: Position[] = [0, 72, 144, 216, 288, 0].map((bearing, i) => destination(c, bearing, 800 + 300 * (i % 3)));
      ring[ring.length - 1] = ring[0];
      const area: Geometry = { type: 'Polygon', coordinates: [ring] };
      const street: Geometry = { type: 'LineString', coordinates: [destination(c, 200, 900), c, destination(c, 10, 1500)] };
      for (const g of [pt(c), area, street]) {
        for (const georel of ['near;maxDistance==500', 'near;maxDistance==2500', 'within', 'intersects', 'equals', 'overlaps', 'contains']) {
          queries.push({ q: query(georel, g), centre: c });
        }
      }
    }
    let matched = 0;
    for (const { q, centre } of queries) {
      const box = searchBox(q)!;
      for (let i = 0; i < 300; i++) {
        // points spread up to 4 km around the query, plus some exactly at the maximum distance
        const metres = i % 10 === 0 && q.georel.relation === 'near' ? q.georel.metres : random() * 4000;
        const p = destination(centre, random() * 360, metres);
        if (matchesGeoQuery(q, pt(p))) {
          matched++;
          expect(inBox(p, box), `${JSON.stringify(q.georel)} ${q.geometry.type} ${p}`).toBe(true);
        }
      }
    }
    expect(matched).toBeGreaterThan(1000);
    // the query geometries' own positions sit on the edges of the boxes
    for (const { q } of queries) {
      const box = searchBox(q)!;
      for (const p of positionsOf(q.geometry)) if (matchesGeoQuery(q, pt(p))) expect(inBox(p, box)).toBe(true);
    }
  });

  it('every matching polygon intersects the box', () => {
    const random = rng(7);
    const c: Position = [8.684, 49.406];
    const q = query('near;maxDistance==1000', pt(c));
    const box = searchBox(q)!;
    let matched = 0;
    for (let i = 0; i < 200; i++) {
      const centre = destination(c, random() * 360, 500 + random() * 2000);
      const ring = [0, 120, 240, 0].map((b) => destination(centre, b, 300));
      ring[3] = ring[0];
      const g: Geometry = { type: 'Polygon', coordinates: [ring] };
      if (!matchesGeoQuery(q, g)) continue;
      matched++;
      const [x0, y0, x1, y1] = box;
      const boxPolygon: Geometry = { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
      expect(intersects(g, boxPolygon)).toBe(true);
    }
    expect(matched).toBeGreaterThan(20);
  });
});
