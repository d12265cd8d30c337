/**
 * SQL functions the store's queries rely on. Register them on every connection before preparing
 * statements that use `REGEXP` or {@link DATETIME_MS_FUNCTION}.
 */
import type { Database } from 'better-sqlite3';
import { compileSafeRegex } from '../../broker/query/regex-guard.js';
import { dateTimeMillis } from '../../broker/values/validate.js';

/** Name of the function behind SQLite's `X REGEXP Y` operator (called as `regexp(Y, X)`). */
export const REGEXP_FUNCTION = 'regexp';
/** `ngsild_datetime_ms(text)`: epoch milliseconds of an NGSI-LD DateTime string, else NULL. */
export const DATETIME_MS_FUNCTION = 'ngsild_datetime_ms';
/** How many compiled patterns a connection keeps. */
const REGEX_CACHE_SIZE = 256;

/**
 * Registers on `db`:
 * - `regexp(pattern, value)`: 1 when the string `value` matches `pattern` (compiled with
 *   compileSafeRegex, so unsafe patterns raise BadRequestData), 0 for NULL or non-string operands;
 * - `ngsild_datetime_ms(value)`: the instant of a date-time string exactly as the attribute index
 *   computes `vtime`, NULL for anything else.
 * Both are deterministic.
 */
export function registerSqlFunctions(db: Database): void {
  const cache = new Map<string, RegExp>();
  const compiled = (pattern: string): RegExp => {
    let re = cache.get(pattern);
    if (re === undefined) {
      re = compileSafeRegex(pattern, 'regular expression');
      if (cache.size >= REGEX_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(pattern, re);
    }
    return re;
  };
  db.function(REGEXP_FUNCTION, { deterministic: true }, (pattern: unknown, value: unknown) =>
    typeof pattern === 'string' && typeof value === 'string' && compiled(pattern).test(value) ? 1 : 0,
  );
  db.function(DATETIME_MS_FUNCTION, { deterministic: true }, (value: unknown) =>
    typeof value === 'string' ? dateTimeMillis(value) : null,
  );
}
