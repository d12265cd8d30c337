/**
 * Compiles an NGSI-LD geo-query into a PostGIS condition on entity row `e`, with the semantics of
 * the broker's own predicates (src/broker/geo, used by the SQLite store and by subscriptions):
 *
 * - GeoProperty instances keep their geometry in `geo_index.geom` (geometry, SRID 4326, 2D) with
 *   a GiST index on (name, geom). The same search box as the SQLite R-tree (geo-query.ts searchBox) pre-filters
 *   with `&&`, which the index serves; then PostGIS decides exactly.
 * - Topology is planar on (longitude, latitude), OGC / DE-9IM, as the broker's predicates:
 *   ST_Within, ST_Contains, ST_Equals, ST_Overlaps; `intersects` (and `disjoint`, its negation)
 *   counts geometries closer than TOLERANCE_DEG as touching, as the broker's predicates do.
 * - `near`: the great-circle distance (segments as great-circle arcs) on a sphere of the Earth's
 *   mean radius EARTH_RADIUS_M, 0 when the geometries intersect. PostGIS' spherical distance
 *   (geography, use_spheroid = false) uses the WGS 84 mean radius (2a + b) / 3; distances are
 *   scaled by the ratio of the two radii, so both compute the same central angle × EARTH_RADIUS_M.
 */
import type { GeoQuery } from '../../broker/geo/geo-query.js';
import { searchBox } from '../../broker/geo/geo-query.js';
import { EARTH_RADIUS_M, TOLERANCE_DEG } from '../../broker/geo/predicates.js';
import { param, raw, sql, type Frag } from './q-sql.js';

/** PostGIS' sphere for SRID 4326: the WGS 84 mean radius (2a + b) / 3. */
const WGS84_A = 6378137;
const WGS84_B = WGS84_A * (1 - 1 / 298.257223563);
const POSTGIS_SPHERE_RADIUS_M = (2 * WGS84_A + WGS84_B) / 3;
/** Metres on PostGIS' sphere per metre on the broker's. */
const SPHERE_SCALE = POSTGIS_SPHERE_RADIUS_M / EARTH_RADIUS_M;

/** The SQL of a GeoJSON geometry as stored: 2D, SRID 4326. */
export function geometrySql(geojson: Frag): Frag {
  return sql`ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(${geojson}::text)), 4326)`;
}

/** Condition on entity row `e`: its GeoProperty `geoQ.geoproperty` (expanded) satisfies the geo-query. */
export function compileGeoQuery(geoQ: GeoQuery, geoproperty: string): Frag {
  const q = sql`(SELECT ${geometrySql(param(JSON.stringify(geoQ.geometry)))})`;
  const exact = predicate(geoQ, raw('g.geom'), q);
  const box = searchBox(geoQ);
  if (box) {
    return sql`e.pk IN (SELECT g.entity_pk FROM geo_index g WHERE g.name = ${param(geoproperty)}
      AND g.geom && ST_MakeEnvelope(${param(box[0])}, ${param(box[1])}, ${param(box[2])}, ${param(box[3])}, 4326) AND ${exact})`;
  }
  return sql`EXISTS (SELECT 1 FROM geo_index g WHERE g.entity_pk = e.pk AND g.name = ${param(geoproperty)} AND ${exact})`;
}

/** The exact test of geometry `g` against the query geometry `q`. */
function predicate(geoQ: GeoQuery, g: Frag, q: Frag): Frag {
  const touching = sql`ST_DWithin(${g}, ${q}, ${raw(String(TOLERANCE_DEG))})`;
  const { georel } = geoQ;
  switch (georel.relation) {
    case 'near': {
      const metres = georel.metres * SPHERE_SCALE;
      if (georel.bound === 'maxDistance') {
        return sql`(${touching} OR ST_DWithin(${g}::geography, ${q}::geography, ${param(metres)}, false))`;
      }
      return sql`(CASE WHEN ${touching} THEN ${raw(String(georel.metres <= 0))} ELSE ST_Distance(${g}::geography, ${q}::geography, false) >= ${param(metres)} END)`;
    }
    case 'within':
      return sql`ST_Within(${g}, ${q})`;
    case 'contains':
      return sql`ST_Contains(${g}, ${q})`;
    case 'intersects':
      return touching;
    case 'disjoint':
      return sql`NOT ${touching}`;
    case 'equals':
      return sql`ST_Equals(${g}, ${q})`;
    case 'overlaps':
      return sql`ST_Overlaps(${g}, ${q})`;
  }
}
