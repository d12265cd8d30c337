/**
 * Checks on the lexical forms NGSI-LD constrains: URIs, names, date-times, scopes, language tags.
 */
import { badRequest } from '../../errors.js';

/** An absolute URI: a scheme, a colon, and no whitespace, control or unsafe characters. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`\u0000-\u001f\u007f]*$/;
/** Characters NGSI-LD forbids in entity types and attribute names (clause 4.6.2), and whitespace. */
const FORBIDDEN = /[<>"'=;()\s\u0000-\u001f\u007f]/;
/** ISO 8601 date-time; the zone may be missing (then it is read as UTC). */
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const SCOPE = /^\/([^\s/#+]+(\/[^\s/#+]+)*)?$/;
const LANGUAGE_TAG = /^(@none|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/;

export const isUri = (s: unknown): s is string => typeof s === 'string' && s.length <= 2048 && URI.test(s);
/**
 * Epoch milliseconds of a date-time, or null when it is not one. A date-time without a zone is
 * read as UTC (NGSI-LD date-times are UTC). The one definition of a date-time in Urbis: payload
 * checks, the q language and the store's time index all use it.
 */
export function dateTimeMillis(s: string): number | null {
  if (!DATE_TIME.test(s)) return null;
  const ms = Date.parse(HAS_ZONE.test(s) ? s : s + 'Z');
  return Number.isNaN(ms) ? null : ms;
}

/** A date-time with its zone, as observedAt and the other NGSI-LD members require. */
export const isDateTime = (s: unknown): s is string => typeof s === 'string' && HAS_ZONE.test(s) && dateTimeMillis(s) !== null;
/** A date-time whose zone may be missing (read as UTC), as many published data sets write them. */
export const isLocalDateTime = (s: unknown): s is string => typeof s === 'string' && dateTimeMillis(s) !== null;
export const isDate = (s: unknown): s is string => typeof s === 'string' && DATE.test(s);
export const isTime = (s: unknown): s is string => typeof s === 'string' && TIME.test(s);
export const isLanguageTag = (s: string): boolean => LANGUAGE_TAG.test(s);

export function requireUri(v: unknown, what: string): string {
  if (!isUri(v)) throw badRequest(`${what} must be a URI (like urn:ngsi-ld:Type:id), got ${JSON.stringify(v)}`);
  return v;
}

/** A term naming an entity type or an attribute: not empty, without forbidden characters. */
export function requireName(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0) throw badRequest(`${what} must be a non-empty string, got ${JSON.stringify(v)}`);
  if (v.length > 512) throw badRequest(`${what} is longer than 512 characters`);
  const bad = FORBIDDEN.exec(v);
  if (bad) throw badRequest(`${what} "${v}" contains the forbidden character ${JSON.stringify(bad[0])}`);
  return v;
}

export function requireDateTime(v: unknown, what: string): string {
  if (!isDateTime(v)) throw badRequest(`${what} must be an ISO 8601 date-time with time zone (like 2024-05-01T10:00:00Z), got ${JSON.stringify(v)}`);
  return v;
}

export function requireScope(v: unknown, what: string): string {
  if (typeof v !== 'string' || !SCOPE.test(v)) {
    throw badRequest(`${what} must be a scope path like /Madrid/Gardens (segments without spaces, # or +), got ${JSON.stringify(v)}`);
  }
  return v;
}
