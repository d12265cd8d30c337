import { describe, expect, it } from 'vitest';
import { NgsiError } from '../../src/errors.js';
import { boundingBox, validateGeometry, type Geometry, type Position } from '../../src/broker/geo/geometry.js';
import {
  contains,
  disjoint,
  distanceMeters,
  equals,
  intersects,
  overlaps,
  within,
} from '../../src/broker/geo/predicates.js';

const pt = (x: number, y: number): Geometry => ({ type: 'Point', coordinates: [x, y] });
const line = (...c: Position[]): Geometry => ({ type: 'LineString', coordinates: c });
const poly = (...rings: Position[][]): Geometry => ({ type: 'Polygon', coordinates: rings });
/** Closed axis-aligned ring, counter-clockwise. */
const rect = (x0: number, y0: number, x1: number, y1: number): Position[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

/** Square 0..10 with a hole 4..6. */
const holed = poly(rect(0, 0, 10, 10), rect(4, 4, 6, 6));
const square = poly(rect(0, 0, 10, 10));

// ---------------------------------------------------------------------------------------------

describe('validateGeometry', () => {
  const bad = (g: unknown, fragment: string) => {
    let error: unknown;
    try {
      validateGeometry(g, 'location');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NgsiError);
    expect((error as NgsiError).errorType).toBe('BadRequestData');
    expect((error as NgsiError).detail).toContain('location: ');
    expect((error as NgsiError).detail).toContain(fragment);
  };

  it('accepts every supported type and returns a clean copy', () => {
    const src = { type: 'Point', coordinates: [8.68, 49.4, 120], bbox: [0, 0, 1, 1], foo: 1 };
    const g = validateGeometry(src, 'location');
    expect(g).toEqual({ type: 'Point', coordinates: [8.68, 49.4, 120] });
    expect(g.coordinates).not.toBe(src.coordinates);
    for (const ok of [
      { type: 'MultiPoint', coordinates: [[1, 2], [3, 4]] },
      { type: 'LineString', coordinates: [[1, 2], [3, 4]] },
      { type: 'MultiLineString', coordinates: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] },
      { type: 'Polygon', coordinates: [rect(0, 0, 1, 1)] },
      { type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(2, 2, 3, 3), ]] },
      { type: 'Point', coordinates: [-180, -90] },
      { type: 'Point', coordinates: [180, 90] },
    ]) {
      expect(validateGeometry(ok, 'x')).toEqual(ok);
    }
  });

  it('rejects non-objects and missing members', () => {
    bad(null, 'must be an object');
    bad([1, 2], 'must be an object');
    bad('Point', 'must be an object');
    bad({ coordinates: [1, 2] }, 'no "type" member');
    bad({ type: 'Point' }, 'Point has no "coordinates" member');
  });

  it('rejects unknown types and GeometryCollection', () => {
    bad({ type: 'Circle', coordinates: [1, 2] }, 'unsupported geometry type "Circle"; expected one of Point, MultiPoint');
    bad({ type: 'point', coordinates: [1, 2] }, 'unsupported geometry type "point"');
    bad({ type: 'GeometryCollection', geometries: [] }, 'GeometryCollection is not supported');
  });

  it('rejects wrong nesting depth', () => {
    bad({ type: 'Point', coordinates: [[1, 2]] }, 'Point expects a position [longitude, latitude] at coordinates, got an array of arrays (wrong nesting depth)');
    bad({ type: 'MultiPoint', coordinates: [1, 2] }, 'MultiPoint expects an array of positions at coordinates, got an array of numbers (wrong nesting depth)');
    bad({ type: 'LineString', coordinates: [[[1, 2], [3, 4]]] }, 'LineString expects a position [longitude, latitude] at coordinates[0]');
    bad({ type: 'Polygon', coordinates: [[1, 2], [3, 4]] }, 'Polygon expects an array of positions at coordinates[0], got an array of numbers (wrong nesting depth)');
    bad({ type: 'MultiPolygon', coordinates: [rect(0, 0, 1, 1)] }, 'MultiPolygon expects an array of positions at coordinates[0][0], got an array of numbers');
    bad({ type: 'Point', coordinates: { lon: 1, lat: 2 } }, 'got an object');
    bad({ type: 'MultiLineString', coordinates: 'x' }, 'MultiLineString expects an array of lines at coordinates, got a string ("x")');
  });

  it('rejects empty geometries', () => {
    bad({ type: 'MultiPoint', coordinates: [] }, 'MultiPoint has no positions at coordinates');
    bad({ type: 'MultiLineString', coordinates: [] }, 'has no lines');
    bad({ type: 'Polygon', coordinates: [] }, 'Polygon has no rings');
    bad({ type: 'MultiPolygon', coordinates: [] }, 'has no polygons');
    bad({ type: 'Polygon', coordinates: [[]] }, 'Polygon has no positions at coordinates[0]');
  });

  it('rejects positions with the wrong number of values', () => {
    bad({ type: 'Point', coordinates: [1] }, 'a position must have 2 or 3 numbers, got 1 at position []');
    bad({ type: 'LineString', coordinates: [[1, 2], [1, 2, 3, 4]] }, 'got 4 at position [1]');
  });

  it('rejects non-finite numbers', () => {
    bad({ type: 'Point', coordinates: ['8.6', 49] }, 'longitude is not a finite number (got a string ("8.6")) at position []');
    bad({ type: 'Point', coordinates: [8, null] }, 'latitude is not a finite number (got null)');
    bad({ type: 'Point', coordinates: [8, 49, NaN] }, 'altitude is not a finite number (got NaN)');
    bad({ type: 'Point', coordinates: [Infinity, 49] }, 'longitude is not a finite number');
  });

  it('rejects out-of-range longitudes and latitudes with their position', () => {
    bad({ type: 'Point', coordinates: [180.5, 0] }, 'longitude 180.5 out of range [-180, 180] at position []');
    bad({ type: 'MultiLineString', coordinates: [[[0, 0], [1, 1]], [[0, 0], [1, 1], [2, 95]]] }, 'latitude 95 out of range [-90, 90] at position [1][2]');
    bad({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(0, 0, 1, -91)]] }, 'latitude -91 out of range [-90, 90] at position [1][0][2]');
  });

  it('rejects short or zero-length lines', () => {
    bad({ type: 'LineString', coordinates: [[1, 2]] }, 'LineString needs at least 2 positions, got 1');
    bad({ type: 'LineString', coordinates: [[1, 2], [1, 2]] }, 'LineString has all its positions equal (zero length)');
    bad({ type: 'MultiLineString', coordinates: [[[1, 2], [3, 4]], [[5, 6]]] }, 'line 1 needs at least 2 positions, got 1 at coordinates[1]');
  });

  it('rejects open and short polygon rings', () => {
    bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }, 'Polygon ring 0 is not closed (first and last positions differ) at coordinates[0]');
    bad({ type: 'Polygon', coordinates: [rect(0, 0, 9, 9), [[1, 1], [2, 1], [2, 2], [1, 1.5]]] }, 'Polygon ring 1 is not closed');
    bad({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }, 'Polygon ring 0 needs at least 4 positions, got 3');
    bad({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [[[0, 0], [1, 0], [1, 1], [0, 1]]]] }, 'MultiPolygon polygon 1 ring 0 is not closed');
  });
});

describe('boundingBox', () => {
  it('covers every position', () => {
    expect(boundingBox(pt(3, 4))).toEqual([3, 4, 3, 4]);
    expect(boundingBox(holed)).toEqual([0, 0, 10, 10]);
    expect(boundingBox({ type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(-5, 2, -4, 7)]] })).toEqual([-5, 0, 1, 7]);
    expect(boundingBox(line([1, -2, 100], [-3, 5]))).toEqual([-3, -2, 1, 5]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('points and polygons', () => {
  it('locates a point inside, outside, on the boundary and in a hole', () => {
    expect(within(pt(2, 2), holed)).toBe(true);
    expect(within(pt(12, 2), holed)).toBe(false);
    expect(within(pt(5, 5), holed)).toBe(false); // in the hole
    expect(intersects(pt(5, 5), holed)).toBe(false);
    expect(disjoint(pt(5, 5), holed)).toBe(true);
    expect(within(pt(5, 5), square)).toBe(true);
    // boundary: not within, but intersects
    for (const p of [pt(0, 5), pt(10, 10), pt(4, 5), pt(6, 6)]) {
      expect(within(p, holed)).toBe(false);
      expect(intersects(p, holed)).toBe(true);
    }
    expect(contains(holed, pt(2, 2))).toBe(true);
    expect(contains(holed, pt(0, 5))).toBe(false);
  });

  it('handles points on slanted edges and real-world coordinates', () => {
    const tri = poly([[0, 0], [10, 0], [0, 10], [0, 0]]);
    expect(intersects(pt(5, 5), tri)).toBe(true);
    expect(within(pt(5, 5), tri)).toBe(false);
    expect(within(pt(4.9, 5), tri)).toBe(true);
    expect(intersects(pt(5.0001, 5), tri)).toBe(false);
    const heidelberg = poly([[8.68, 49.4], [8.69, 49.4], [8.69, 49.41], [8.68, 49.41], [8.68, 49.4]]);
    expect(within(pt(8.685, 49.405), heidelberg)).toBe(true);
    expect(intersects(pt(8.685, 49.41), heidelberg)).toBe(true);
    expect(within(pt(8.685, 49.41), heidelberg)).toBe(false);
    expect(intersects(pt(8.6901, 49.405), heidelberg)).toBe(false);
  });

  it('is independent of ring orientation', () => {
    const cw = poly([...rect(0, 0, 10, 10)].reverse(), [...rect(4, 4, 6, 6)].reverse());
    expect(within(pt(2, 2), cw)).toBe(true);
    expect(within(pt(5, 5), cw)).toBe(false);
  });

  it('handles MultiPolygons', () => {
    const mp: Geometry = { type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(5, 5, 6, 6)]] };
    expect(within(pt(0.5, 0.5), mp)).toBe(true);
    expect(within(pt(5.5, 5.5), mp)).toBe(true);
    expect(within(pt(3, 3), mp)).toBe(false);
    expect(intersects(pt(6, 5.5), mp)).toBe(true);
    expect(within(poly(rect(0.2, 0.2, 0.8, 0.8)), mp)).toBe(true);
    // spans the gap between the parts
    expect(within(poly(rect(0.5, 0.5, 5.5, 5.5)), mp)).toBe(false);
    expect(intersects(poly(rect(0.5, 0.5, 5.5, 5.5)), mp)).toBe(true);
    expect(overlaps(poly(rect(0.5, 0.5, 5.5, 5.5)), mp)).toBe(true);
    // a polygon within the hole of a MultiPolygon part
    const mpHole: Geometry = { type: 'MultiPolygon', coordinates: [[rect(0, 0, 10, 10), rect(4, 4, 6, 6)], [rect(20, 20, 21, 21)]] };
    expect(within(pt(5, 5), mpHole)).toBe(false);
    expect(within(poly(rect(4.5, 4.5, 5.5, 5.5)), mpHole)).toBe(false);
    expect(disjoint(poly(rect(4.5, 4.5, 5.5, 5.5)), mpHole)).toBe(true);
  });

  it('treats MultiPoints as sets', () => {
    const mp: Geometry = { type: 'MultiPoint', coordinates: [[1, 1], [5, 5]] };
    expect(within(mp, square)).toBe(true);
    expect(within(mp, holed)).toBe(false);
    expect(intersects(mp, holed)).toBe(true);
    expect(within({ type: 'MultiPoint', coordinates: [[0, 0], [1, 1]] }, square)).toBe(true); // one inside suffices
    expect(within({ type: 'MultiPoint', coordinates: [[0, 0], [10, 0]] }, square)).toBe(false); // all on boundary
  });
});

describe('lines', () => {
  it('crossing, touching and inside polygons', () => {
    const crossing = line([-5, 5], [15, 5]);
    expect(intersects(crossing, square)).toBe(true);
    expect(within(crossing, square)).toBe(false);
    expect(overlaps(crossing, square)).toBe(false); // different dimensions
    const inside = line([1, 1], [9, 2]);
    expect(within(inside, square)).toBe(true);
    expect(contains(square, inside)).toBe(true);
    // crosses the hole: leaves the interior
    expect(within(line([1, 5], [9, 5]), holed)).toBe(false);
    expect(within(line([1, 1], [9, 1]), holed)).toBe(true);
    // runs along the boundary: not within (interiors do not meet)
    expect(within(line([0, 0], [10, 0]), square)).toBe(false);
    expect(intersects(line([0, 0], [10, 0]), square)).toBe(true);
    // from the boundary inward: within
    expect(within(line([0, 5], [5, 5]), square)).toBe(true);
    // touches a corner from outside
    expect(intersects(line([10, 10], [12, 15]), square)).toBe(true);
    expect(within(line([10, 10], [12, 15]), square)).toBe(false);
    // passes near but outside
    expect(intersects(line([-1, 11], [11, 10.001]), square)).toBe(false);
    // a line whose vertices are all outside but that cuts a corner
    expect(intersects(line([-1, 9], [1, 11]), square)).toBe(true);
  });

  it('line against line', () => {
    const a = line([0, 0], [10, 10]);
    expect(intersects(a, line([0, 10], [10, 0]))).toBe(true);
    expect(intersects(a, line([0, 1], [9, 10]))).toBe(false); // parallel
    expect(overlaps(a, line([0, 10], [10, 0]))).toBe(false); // cross at a point only
    expect(overlaps(a, line([5, 5], [15, 15]))).toBe(true); // collinear, partly shared
    expect(within(line([2, 2], [3, 3]), a)).toBe(true);
    expect(within(line([0, 0], [3, 3], [11, 11]), a)).toBe(false);
    expect(contains(a, line([0, 0], [10, 10]))).toBe(true);
    expect(within(line([0, 0], [5, 5], [10, 10]), line([0, 0], [3, 3], [10, 10]))).toBe(true);
    // collinear, touching end to end
    expect(intersects(a, line([10, 10], [20, 20]))).toBe(true);
    expect(overlaps(a, line([10, 10], [20, 20]))).toBe(false);
    // a line covered by two segments of another
    expect(within(line([1, 0], [9, 0]), { type: 'MultiLineString', coordinates: [[[0, 0], [5, 0]], [[5, 0], [10, 0]]] })).toBe(true);
  });

  it('points on lines: interior versus end points', () => {
    const a = line([0, 0], [10, 0]);
    expect(within(pt(5, 0), a)).toBe(true);
    expect(within(pt(0, 0), a)).toBe(false); // boundary
    expect(intersects(pt(0, 0), a)).toBe(true);
    expect(within(pt(5, 0.001), a)).toBe(false);
    const ring = line([0, 0], [1, 0], [1, 1], [0, 0]); // closed: no boundary
    expect(within(pt(0, 0), ring)).toBe(true);
  });
});

describe('polygons against polygons', () => {
  it('overlap, containment, touching, disjoint', () => {
    const a = poly(rect(0, 0, 10, 10));
    const b = poly(rect(5, 5, 15, 15));
    expect(overlaps(a, b)).toBe(true);
    expect(intersects(a, b)).toBe(true);
    expect(within(a, b)).toBe(false);
    const inner = poly(rect(2, 2, 3, 3));
    expect(contains(a, inner)).toBe(true);
    expect(within(inner, a)).toBe(true);
    expect(overlaps(a, inner)).toBe(false);
    expect(within(a, a)).toBe(true);
    // shares two edges with the outer one
    expect(within(poly(rect(0, 0, 5, 5)), a)).toBe(true);
    // touching along an edge: intersects, no overlap
    const side = poly(rect(10, 0, 20, 10));
    expect(intersects(a, side)).toBe(true);
    expect(overlaps(a, side)).toBe(false);
    expect(within(side, a)).toBe(false);
    // touching at a corner
    expect(intersects(a, poly(rect(10, 10, 11, 11)))).toBe(true);
    expect(disjoint(a, poly(rect(10.5, 10.5, 11, 11)))).toBe(true);
  });

  it('respects holes', () => {
    expect(within(poly(rect(4.5, 4.5, 5.5, 5.5)), holed)).toBe(false);
    expect(intersects(poly(rect(4.5, 4.5, 5.5, 5.5)), holed)).toBe(false);
    expect(within(poly(rect(1, 1, 3, 3)), holed)).toBe(true);
    // a polygon covering the hole is not within the holed square
    expect(within(poly(rect(3, 3, 7, 7)), holed)).toBe(false);
    expect(overlaps(poly(rect(3, 3, 7, 7)), holed)).toBe(true);
    // the holed square is within the full square, not the other way round
    expect(within(holed, square)).toBe(true);
    expect(within(square, holed)).toBe(false);
    // the hole itself only touches the holed square
    expect(intersects(poly(rect(4, 4, 6, 6)), holed)).toBe(true);
    expect(overlaps(poly(rect(4, 4, 6, 6)), holed)).toBe(false);
    expect(within(poly(rect(4, 4, 6, 6)), holed)).toBe(false);
    // a square with the hole is within a square with a bigger hole? no: the ring between is missing
    expect(within(holed, poly(rect(0, 0, 10, 10), rect(3, 3, 7, 7)))).toBe(false);
    expect(within(poly(rect(0, 0, 10, 10), rect(3, 3, 7, 7)), holed)).toBe(true);
    // a big polygon with a hole exactly matching a small one: they only touch
    expect(intersects(poly(rect(0, 0, 30, 30), rect(10, 10, 20, 20)), poly(rect(10, 10, 20, 20)))).toBe(true);
    expect(within(poly(rect(10, 10, 20, 20)), poly(rect(0, 0, 30, 30), rect(10, 10, 20, 20)))).toBe(false);
  });

  it('concave polygons', () => {
    // U shape: the notch 4..6 x 2..10 is outside
    const u = poly([[0, 0], [10, 0], [10, 10], [6, 10], [6, 2], [4, 2], [4, 10], [0, 10], [0, 0]]);
    expect(within(pt(5, 5), u)).toBe(false);
    expect(within(line([2, 5], [8, 5]), u)).toBe(false);
    expect(within(line([2, 1], [8, 1]), u)).toBe(true);
    expect(within(poly(rect(4.5, 3, 5.5, 9)), u)).toBe(false);
    expect(disjoint(poly(rect(4.5, 3, 5.5, 9)), u)).toBe(true);
    // a bridge across the notch: all vertices inside the U, but the middle is outside
    expect(within(poly(rect(2, 8, 8, 9)), u)).toBe(false);
  });
});

describe('equals', () => {
  it('ignores ring start, orientation, part order and line direction', () => {
    const shifted = poly([[10, 0], [10, 10], [0, 10], [0, 0], [10, 0]], rect(4, 4, 6, 6));
    expect(equals(shifted, holed)).toBe(true);
    expect(equals(poly([...rect(0, 0, 10, 10)].reverse(), rect(4, 4, 6, 6)), holed)).toBe(true);
    expect(equals(holed, square)).toBe(false);
    expect(equals(pt(1, 2), pt(1, 2))).toBe(true);
    expect(equals(pt(1, 2), { type: 'Point', coordinates: [1, 2, 300] })).toBe(true);
    expect(equals(pt(1, 2), pt(1, 2.0001))).toBe(false);
    expect(equals(line([0, 0], [1, 1]), line([1, 1], [0, 0]))).toBe(true);
    expect(equals(line([0, 0], [2, 2]), line([0, 0], [1, 1], [2, 2]))).toBe(true);
    expect(equals(line([0, 0], [2, 2]), line([0, 0], [1, 1]))).toBe(false);
    expect(equals({ type: 'MultiPoint', coordinates: [[1, 1], [2, 2]] }, { type: 'MultiPoint', coordinates: [[2, 2], [1, 1]] })).toBe(true);
    expect(equals({ type: 'MultiPoint', coordinates: [[1, 1], [2, 2]] }, { type: 'MultiPoint', coordinates: [[2, 2]] })).toBe(false);
    const mp1: Geometry = { type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)], [rect(5, 5, 6, 6)]] };
    const mp2: Geometry = { type: 'MultiPolygon', coordinates: [[rect(5, 5, 6, 6)], [rect(0, 0, 1, 1)]] };
    expect(equals(mp1, mp2)).toBe(true);
    expect(equals(mp1, poly(rect(0, 0, 1, 1)))).toBe(false);
    expect(equals(poly(rect(0, 0, 1, 1)), { type: 'MultiPolygon', coordinates: [[rect(0, 0, 1, 1)]] })).toBe(true);
    expect(equals(pt(0, 0), line([0, 0], [1, 0]))).toBe(false);
  });
});

describe('overlaps', () => {
  it('needs the same dimension and each to stick out of the other', () => {
    const a: Geometry = { type: 'MultiPoint', coordinates: [[0, 0], [1, 1]] };
    expect(overlaps(a, { type: 'MultiPoint', coordinates: [[1, 1], [2, 2]] })).toBe(true);
    expect(overlaps(a, { type: 'MultiPoint', coordinates: [[1, 1]] })).toBe(false);
    expect(overlaps(a, { type: 'MultiPoint', coordinates: [[3, 3]] })).toBe(false);
    expect(overlaps(pt(1, 1), square)).toBe(false);
    expect(overlaps(square, square)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

const R = 6371008.8;
/** Independent haversine distance between two [lon, lat] points, in metres. */
function haversine([lon1, lat1]: number[], [lon2, lat2]: number[]): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

describe('distanceMeters', () => {
  const puertaDelSol = [-3.7038, 40.4168];

  it('matches haversine for points in Madrid about 1 km apart', () => {
    const north = [-3.7038, 40.4168 + 1000 / R / (Math.PI / 180)];
    const east = [-3.7038 + 1000 / (R * Math.cos(40.4168 * Math.PI / 180)) / (Math.PI / 180), 40.4168];
    const diag = [-3.6952, 40.4106];
    for (const other of [north, east, diag]) {
      const d = distanceMeters(pt(puertaDelSol[0], puertaDelSol[1]), pt(other[0], other[1]));
      const h = haversine(puertaDelSol, other);
      expect(Math.abs(d - h) / h).toBeLessThan(0.005);
    }
    expect(distanceMeters(pt(puertaDelSol[0], puertaDelSol[1]), pt(north[0], north[1]))).toBeCloseTo(1000, 0);
  });

  it('measures to the nearest point of a segment, not a vertex', () => {
    // A north-south street 1 km long; a point 500 m east of its middle.
    const dLat = 1000 / R / (Math.PI / 180);
    const street = line([-3.7038, 40.4168], [-3.7038, 40.4168 + dLat]);
    const midLat = 40.4168 + dLat / 2;
    const dLon500 = 500 / (R * Math.cos(midLat * Math.PI / 180)) / (Math.PI / 180);
    const p = pt(-3.7038 + dLon500, midLat);
    const d = distanceMeters(p, street);
    expect(Math.abs(d - 500) / 500).toBeLessThan(0.005);
    expect(distanceMeters(street, p)).toBeCloseTo(d, 6);
  });

  it('is 0 when geometries intersect, and measures to polygon edges and hole edges', () => {
    expect(distanceMeters(pt(2, 2), holed)).toBe(0);
    expect(distanceMeters(line([-1, 5], [11, 5]), holed)).toBe(0);
    // in the hole at (5, 5): nearest hole edge is 1 degree of longitude/latitude away
    const d = distanceMeters(pt(5, 5), holed);
    expect(Math.abs(d - haversine([5, 5], [4, 5])) / d).toBeLessThan(0.005);
    // outside, east of the square
    const e = distanceMeters(pt(10.01, 5), square);
    expect(Math.abs(e - haversine([10.01, 5], [10, 5])) / e).toBeLessThan(0.005);
    // polygon to polygon
    const f = distanceMeters(poly(rect(10.01, 0, 11, 1)), square);
    expect(Math.abs(f - haversine([10.01, 1], [10, 1])) / f).toBeLessThan(0.005);
  });

  it('works across the antimeridian on the sphere', () => {
    const d = distanceMeters(pt(179.999, 0), pt(-179.999, 0));
    expect(Math.abs(d - haversine([179.999, 0], [-179.999, 0])) / d).toBeLessThan(0.005);
    expect(d).toBeLessThan(300);
  });
});
