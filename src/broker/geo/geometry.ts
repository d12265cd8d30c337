/**
 * GeoJSON geometries (RFC 7946) as NGSI-LD uses them for GeoProperty values and geo-queries.
 *
 * Supported: Point, MultiPoint, LineString, MultiLineString, Polygon, MultiPolygon.
 * GeometryCollection is rejected with a clear message: NGSI-LD geo-queries (clause 4.10) only
 * name the six types above, and a collection mixes dimensions, which the exact predicates of
 * `predicates.ts` do not model. Foreign members (including `bbox`) are accepted and dropped.
 *
 * Coordinates are `[longitude, latitude]` or `[longitude, latitude, altitude]` in degrees (WGS 84).
 */

import { badRequest } from '../../errors.js';

/** A position: `[longitude, latitude]` or `[longitude, latitude, altitude]`. */
export type Position = [number, number] | [number, number, number];

export interface Point {
  type: 'Point';
  coordinates: Position;
}
export interface MultiPoint {
  type: 'MultiPoint';
  coordinates: Position[];
}
export interface LineString {
  type: 'LineString';
  coordinates: Position[];
}
export interface MultiLineString {
  type: 'MultiLineString';
  coordinates: Position[][];
}
/** Ring 0 is the exterior ring, the others are holes. */
export interface Polygon {
  type: 'Polygon';
  coordinates: Position[][];
}
export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: Position[][][];
}

export type Geometry = Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon;

/** The geometry types Urbis accepts, in the order error messages list them. */
export const GEOMETRY_TYPES = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'] as const;
export type GeometryType = (typeof GEOMETRY_TYPES)[number];

/** Axis-aligned box in degrees: `[minLongitude, minLatitude, maxLongitude, maxLatitude]`. */
export type BBox = [number, number, number, number];

/** True when `t` names one of the six supported geometry types. */
export function isGeometryType(t: unknown): t is GeometryType {
  return typeof t === 'string' && (GEOMETRY_TYPES as readonly string[]).includes(t);
}

/**
 * Checks that `g` is a well-formed GeoJSON geometry of a supported type and returns a clean copy
 * (only `type` and `coordinates`). Throws BadRequestData whose detail starts with `where` and says
 * what is wrong and at which position, e.g.
 * `location: latitude 95 out of range [-90, 90] at position [1][2]`.
 *
 * Rules: right `type`; coordinates nested to the depth the type requires; 2 or 3 finite numbers per
 * position; longitude in [-180, 180], latitude in [-90, 90]; no empty Multi* or Polygon; a
 * LineString has at least 2 distinct positions; each Polygon ring is closed (first and last
 * positions identical) with at least 4 positions. Self-intersections are not checked.
 */
export function validateGeometry(g: unknown, where: string): Geometry {
  const fail = (problem: string): never => {
    throw badRequest(`${where}: ${problem}`);
  };
  if (g === null || typeof g !== 'object' || Array.isArray(g)) {
    return fail(`a GeoJSON geometry must be an object with "type" and "coordinates", got ${describe(g)}`);
  }
  const { type, coordinates } = g as { type?: unknown; coordinates?: unknown };
  if (type === undefined) return fail('the geometry has no "type" member');
  if (type === 'GeometryCollection') {
    return fail('GeometryCollection is not supported; use MultiPoint, MultiLineString or MultiPolygon instead');
  }
  if (!isGeometryType(type)) {
    return fail(`unsupported geometry type ${JSON.stringify(type)}; expected one of ${GEOMETRY_TYPES.join(', ')}`);
  }
  if (coordinates === undefined) return fail(`${type} has no "coordinates" member`);

  const v = new CoordinateValidator(fail, type);
  switch (type) {
    case 'Point':
      return { type, coordinates: v.position(coordinates, []) };
    case 'MultiPoint':
      return { type, coordinates: v.nonEmpty(coordinates, [], 'positions').map((p, i) => v.position(p, [i])) };
    case 'LineString':
      return { type, coordinates: v.line(coordinates, []) };
    case 'MultiLineString':
      return { type, coordinates: v.nonEmpty(coordinates, [], 'lines').map((l, i) => v.line(l, [i])) };
    case 'Polygon':
      return { type, coordinates: v.polygon(coordinates, []) };
    case 'MultiPolygon':
      return { type, coordinates: v.nonEmpty(coordinates, [], 'polygons').map((p, i) => v.polygon(p, [i])) };
  }
}

/** Walks a coordinates array of one geometry, copying it and reporting the first problem. */
class CoordinateValidator {
  constructor(
    private readonly fail: (problem: string) => never,
    private readonly type: GeometryType,
  ) {}

  /** An array with at least one element; `what` names the elements for the message. */
  nonEmpty(v: unknown, path: number[], what: string): unknown[] {
    if (!Array.isArray(v)) {
      return this.fail(`${this.type} expects an array of ${what} at ${arrayAt(path)}, got ${describe(v)}`);
    }
    if (v.length === 0) return this.fail(`${this.type} has no ${what} at ${arrayAt(path)}`);
    const stray = v.findIndex((e) => !Array.isArray(e));
    if (stray >= 0) {
      const depth = typeof v[stray] === 'number' ? ' (wrong nesting depth)' : '';
      return this.fail(`${this.type} expects an array of ${what} at ${arrayAt(path)}, got ${describe(v)}${depth}`);
    }
    return v;
  }

  position(v: unknown, path: number[]): Position {
    if (!Array.isArray(v) || v.some(Array.isArray)) {
      const depth = typeof v === 'number' || Array.isArray(v) ? ' (wrong nesting depth)' : '';
      return this.fail(
        `${this.type} expects a position [longitude, latitude] at ${arrayAt(path)}, got ${describe(v)}${depth}`,
      );
    }
    if (v.length !== 2 && v.length !== 3) {
      return this.fail(`a position must have 2 or 3 numbers, got ${v.length} at position ${indices(path)}`);
    }
    const names = ['longitude', 'latitude', 'altitude'];
    v.forEach((n, i) => {
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        this.fail(`${names[i]} is not a finite number (got ${describe(n)}) at position ${indices(path)}`);
      }
    });
    const [lon, lat] = v as number[];
    if (lon < -180 || lon > 180) this.fail(`longitude ${lon} out of range [-180, 180] at position ${indices(path)}`);
    if (lat < -90 || lat > 90) this.fail(`latitude ${lat} out of range [-90, 90] at position ${indices(path)}`);
    return [...(v as number[])] as Position;
  }

  line(v: unknown, path: number[]): Position[] {
    const positions = this.nonEmpty(v, path, 'positions').map((p, i) => this.position(p, [...path, i]));
    const where = path.length === 0 ? 'LineString' : `line ${path[path.length - 1]}`;
    if (positions.length < 2) {
      return this.fail(`${where} needs at least 2 positions, got ${positions.length} at ${arrayAt(path)}`);
    }
    if (positions.every((p) => samePosition(p, positions[0]))) {
      return this.fail(`${where} has all its positions equal (zero length) at ${arrayAt(path)}`);
    }
    return positions;
  }

  polygon(v: unknown, path: number[]): Position[][] {
    const prefix = path.length === 0 ? 'Polygon' : `MultiPolygon polygon ${path[0]}`;
    return this.nonEmpty(v, path, 'rings').map((r, i) => {
      const ringPath = [...path, i];
      const ring = this.nonEmpty(r, ringPath, 'positions').map((p, j) => this.position(p, [...ringPath, j]));
      if (ring.length < 4) {
        this.fail(`${prefix} ring ${i} needs at least 4 positions, got ${ring.length} at ${arrayAt(ringPath)}`);
      }
      if (!samePosition(ring[0], ring[ring.length - 1])) {
        this.fail(`${prefix} ring ${i} is not closed (first and last positions differ) at ${arrayAt(ringPath)}`);
      }
      return ring;
    });
  }
}

function samePosition(a: Position, b: Position): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function indices(path: number[]): string {
  return path.map((i) => `[${i}]`).join('') || '[]';
}

function arrayAt(path: number[]): string {
  return `coordinates${path.map((i) => `[${i}]`).join('')}`;
}

/** A short description of a JSON value for error messages. */
function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'an empty array';
    return `an array of ${Array.isArray(v[0]) ? 'array' : v[0] === null ? 'null' : typeof v[0]}s`;
  }
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? `a number (${v})` : String(v);
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
    case 'undefined':
      return 'nothing';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/** Smallest box `[minX, minY, maxX, maxY]` (longitude, latitude) holding every position of `g`. */
export function boundingBox(g: Geometry): BBox {
  const box: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of positionsOf(g)) {
    if (x < box[0]) box[0] = x;
    if (y < box[1]) box[1] = y;
    if (x > box[2]) box[2] = x;
    if (y > box[3]) box[3] = y;
  }
  return box;
}

/** Every position of `g`, in document order (ring closing positions included). */
export function positionsOf(g: Geometry): Position[] {
  switch (g.type) {
    case 'Point':
      return [g.coordinates];
    case 'MultiPoint':
    case 'LineString':
      return g.coordinates;
    case 'MultiLineString':
    case 'Polygon':
      return g.coordinates.flat();
    case 'MultiPolygon':
      return g.coordinates.flat(2);
  }
}
