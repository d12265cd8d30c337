/**
 * SQL functions the store's queries rely on. Register them on every connection before preparing
 * statements that use `REGEXP` or {@link DATETIME_MS_FUNCTION}.
 */
import type { Database } from 'better-sqlite3';
import { compileSafeRegex } from '../../broker/query/regex-guard.js';
import { dateTimeMillis } from '../../broker/values/validate.js';
import { matchesGeoQuery, type GeoQuery } from '../../broker/geo/geo-query.js';
import type { Geometry } from '../../broker/geo/geometry.js';
import { BoundedMap } from './bounded-map.js';

/** Name of the function behind SQLite's `X REGEXP Y` operator (called as `regexp(Y, X)`). */
export const REGEXP_FUNCTION = 'regexp';
/** `ngsild_datetime_ms(text)`: epoch milliseconds of an NGSI-LD DateTime string, else NULL. */
export const DATETIME_MS_FUNCTION = 'ngsild_datetime_ms';
/** `geo_match(geoQueryJson, geometryJson)`: 1 when the geometry satisfies the geo-query. */
export const GEO_MATCH_FUNCTION = 'geo_match';
/** How many compiled patterns and parsed geo-queries a connection keeps. */
const CACHE_SIZE = 256;

/**
 * Registers on `db`:
 * - `regexp(pattern, value)`: 1 when the string `value` matches `pattern` (compiled with
 *   compileSafeRegex, so unsafe patterns raise BadRequestData), 0 for NULL or non-string operands;
 * - `ngsild_datetime_ms(value)`: the instant of a date-time string exactly as the attribute index
 *   computes `vtime`, NULL for anything else;
 * - `geo_match(query, geometry)`: 1 when the GeoJSON geometry (JSON text) satisfies the geo-query
 *   (the JSON of a GeoQuery with its geoproperty), tested exactly with the broker's predicates.
 * All are deterministic.
 */
export function registerSqlFunctions(db: Database): void {
  const patterns = new BoundedMap<RegExp>(CACHE_SIZE);
  const geoQueries = new BoundedMap<GeoQuery>(CACHE_SIZE);
  db.function(REGEXP_FUNCTION, { deterministic: true }, (pattern: unknown, value: unknown) =>
    typeof pattern === 'string' && typeof value === 'string' && patterns.get(pattern, (p) => compileSafeRegex(p, 'regular expression')).test(value) ? 1 : 0,
  );
  db.function(GEO_MATCH_FUNCTION, { deterministic: true }, (query: unknown, value: unknown) => {
    if (typeof query !== 'string' || typeof value !== 'string') return 0;
    return matchesGeoQuery(geoQueries.get(query, (q) => JSON.parse(q) as GeoQuery), JSON.parse(value) as Geometry) ? 1 : 0;
  });
  db.function(DATETIME_MS_FUNCTION, { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? dateTimeMillis(value) : null,
  );
}
