/**
 * NGSI-LD geo-queries (ETSI GS CIM 009, clause 4.10): parsing the `georel` / `geometry` /
 * `coordinates` / `geoproperty` parameters, matching an entity's geometry against the query, and
 * the bounding box an R-tree pre-filter can use.
 */

import { badRequest } from '../../errors.js';
import { boundingBox, GEOMETRY_TYPES, isGeometryType, validateGeometry, type BBox, type Geometry } from './geometry.js';
import {
  contains,
  disjoint,
  distanceMeters,
  EARTH_RADIUS_M,
  equals,
  intersects,
  overlaps,
  TOLERANCE_DEG,
  within,
} from './predicates.js';

/** The topological relations of `georel` (all but `near`). */
export const GEO_RELATIONS = ['within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps'] as const;
export type GeoRelation = (typeof GEO_RELATIONS)[number];

/**
 * A parsed `georel`. `near` bounds the distance between the entity's geometry and the query
 * geometry (of any type, not only Point): at most (`maxDistance`) or at least (`minDistance`)
 * `metres`, both inclusive.
 */
export type Georel =
  | { relation: 'near'; bound: 'maxDistance' | 'minDistance'; metres: number }
  | { relation: GeoRelation };

/** A validated geo-query. */
export interface GeoQuery {
  georel: Georel;
  /** The reference geometry the entity's geometry is compared with. */
  geometry: Geometry;
  /** The GeoProperty of the entity to test, as given (compacted); `location` by default. */
  geoproperty: string;
}

/** The geo-query parameters as received (URL query string or `geoQ` of a POST query body). */
export interface GeoQueryParams {
  georel?: string;
  geometry?: string;
  /** JSON array text from a URL (`[8.684,49.406]`) or an already parsed array. */
  coordinates?: unknown;
  geoproperty?: string;
}

/**
 * Parses and validates a geo-query. Returns undefined when none of `georel`, `geometry`,
 * `coordinates` (and `geoproperty`) is given; throws BadRequestData when some are given but not
 * all three of `georel`, `geometry` and `coordinates`, or when any of them is malformed.
 */
export function parseGeoQuery(params: GeoQueryParams): GeoQuery | undefined {
  const { georel, geometry, coordinates, geoproperty } = params;
  const required = { georel, geometry, coordinates };
  const missing = Object.entries(required)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length === 3 && geoproperty === undefined) return undefined;
  if (missing.length > 0) {
    const given = Object.entries({ ...required, geoproperty })
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    throw badRequest(
      `geo-query: ${given.join(', ')} given but ${missing.join(' and ')} missing; ` +
        'a geo-query needs georel, geometry and coordinates together',
    );
  }
  return {
    georel: parseGeorel(georel as string),
    geometry: parseGeometry(geometry as string, coordinates),
    geoproperty: parseGeoproperty(geoproperty),
  };
}

/** Parses `georel`: `near;maxDistance==<metres>`, `near;minDistance==<metres>` or a relation. */
export function parseGeorel(text: string): Georel {
  if (typeof text !== 'string') throw badRequest(`georel: must be a string, got ${typeof text}`);
  const [name, ...modifiers] = text.trim().split(';');
  if (name === 'near') {
    if (modifiers.length !== 1) {
      throw badRequest(
        `georel: "near" needs exactly one of maxDistance==<metres> or minDistance==<metres>, got "${text}"`,
      );
    }
    const match = /^(maxDistance|minDistance)==(.*)$/.exec(modifiers[0].trim());
    if (!match) {
      throw badRequest(
        `georel: unrecognised near modifier "${modifiers[0]}"; expected maxDistance==<metres> or minDistance==<metres>`,
      );
    }
    const metres = match[2].trim();
    if (!/^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(metres) || !Number.isFinite(Number(metres))) {
      throw badRequest(`georel: ${match[1]} must be a non-negative number of metres, got "${match[2]}"`);
    }
    return { relation: 'near', bound: match[1] as 'maxDistance' | 'minDistance', metres: Number(metres) };
  }
  if ((GEO_RELATIONS as readonly string[]).includes(name)) {
    if (modifiers.length > 0) throw badRequest(`georel: "${name}" takes no modifiers, got "${text}"`);
    return { relation: name as GeoRelation };
  }
  throw badRequest(
    `georel: unknown relation "${name}"; expected near;maxDistance==<metres>, near;minDistance==<metres>, ` +
      GEO_RELATIONS.join(', '),
  );
}

function parseGeometry(type: string, coordinates: unknown): Geometry {
  if (!isGeometryType(type)) {
    throw badRequest(`geometry: unsupported geometry type ${JSON.stringify(type)}; expected one of ${GEOMETRY_TYPES.join(', ')}`);
  }
  let coords = coordinates;
  if (typeof coords === 'string') {
    try {
      coords = JSON.parse(coords);
    } catch {
      throw badRequest(`coordinates: not valid JSON array text: "${truncate(coordinates as string)}"`);
    }
  }
  if (!Array.isArray(coords)) {
    throw badRequest(`coordinates: must be a JSON array of coordinates for a ${type}, got ${truncate(String(coordinates))}`);
  }
  return validateGeometry({ type, coordinates: coords }, 'coordinates');
}

function parseGeoproperty(geoproperty: string | undefined): string {
  if (geoproperty === undefined) return 'location';
  if (typeof geoproperty !== 'string' || geoproperty.trim() === '') {
    throw badRequest('geoproperty: must be a non-empty attribute name');
  }
  return geoproperty.trim();
}

function truncate(s: string): string {
  return s.length > 60 ? s.slice(0, 60) + '…' : s;
}

/** True when an entity's geometry `g` satisfies the geo-query (exact, not a box approximation). */
export function matchesGeoQuery(q: GeoQuery, g: Geometry): boolean {
  const { georel, geometry } = q;
  switch (georel.relation) {
    case 'near': {
      const d = distanceMeters(g, geometry);
      return georel.bound === 'maxDistance' ? d <= georel.metres : d >= georel.metres;
    }
    case 'within':
      return within(g, geometry);
    case 'contains':
      return contains(g, geometry);
    case 'intersects':
      return intersects(g, geometry);
    case 'equals':
      return equals(g, geometry);
    case 'disjoint':
      return disjoint(g, geometry);
    case 'overlaps':
      return overlaps(g, geometry);
  }
}

/**
 * A box `[minX, minY, maxX, maxY]` for an R-tree pre-filter: every geometry that can match `q`
 * has at least one point in it (for `within` and `equals` it lies wholly inside it), so entities
 * whose bounding box misses it cannot match. For `near;maxDistance` it is the query geometry's box
 * grown by the distance: in degrees of latitude, and in degrees of longitude at the box's latitude
 * farthest from the equator; it spans all longitudes when it would cross the antimeridian or
 * reach a pole. Null when no box can pre-filter (`disjoint`, `near;minDistance`).
 */
export function searchBox(q: GeoQuery): BBox | null {
  const { georel } = q;
  if (georel.relation === 'disjoint') return null;
  if (georel.relation === 'near' && georel.bound === 'minDistance') return null;
  const [minX, minY, maxX, maxY] = boundingBox(q.geometry);
  const e = TOLERANCE_DEG; // what the predicates count as touching
  if (georel.relation !== 'near') return [minX - e, minY - e, maxX + e, maxY + e];

  const angle = georel.metres / EARTH_RADIUS_M; // central angle, radians
  if (angle >= Math.PI / 2) return [-180, -90, 180, 90];
  const dLat = (angle * 180) / Math.PI + e;
  // A point within `angle` of a point at latitude φ differs from it in longitude by at most
  // asin(sin(angle) / cos φ); the worst φ is the query box's latitude farthest from the equator.
  // When that bound does not exist the circle covers a pole and every longitude.
  const cosLat = Math.cos((Math.max(Math.abs(minY), Math.abs(maxY)) * Math.PI) / 180);
  const reachesPole = Math.sin(angle) >= cosLat;
  const dLon = reachesPole ? 360 : (Math.asin(Math.sin(angle) / cosLat) * 180) / Math.PI + e;
  const wraps = minX - dLon < -180 || maxX + dLon > 180;
  return [
    wraps ? -180 : minX - dLon,
    Math.max(-90, minY - dLat),
    wraps ? 180 : maxX + dLon,
    Math.min(90, maxY + dLat),
  ];
}
