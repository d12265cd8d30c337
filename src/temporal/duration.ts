/**
 * ISO 8601 durations as NGSI-LD's aggrPeriodDuration uses them (P[n]Y[n]M[n]DT[n]H[n]M[n]S or
 * P[n]W), and the periods they cut an interval into. A duration is either calendar-based (years
 * and months only: periods follow calendar months, anchored on the first of a month, or of January
 * for whole years) or fixed (weeks, days, hours, minutes, seconds: a number of milliseconds).
 * Mixing both kinds is refused, since a period such as P1M2D has no single length to bucket by.
 */
import { badRequest } from '../errors.js';

export type Duration =
  /** Zero: the whole interval is one period. */
  | { kind: 'whole' }
  | { kind: 'months'; months: number; text: string }
  | { kind: 'fixed'; ms: number; text: string };

const PATTERN = /^P(?:(\d+)W|(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?)$/;

/** Parses an aggrPeriodDuration; throws BadRequestData naming what is wrong. */
export function parseDuration(text: string, where = 'aggrPeriodDuration'): Duration {
  const m = PATTERN.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) {
    throw badRequest(`${where} "${text}" is not an ISO 8601 duration such as PT1H, P1D, P1W or P1M (combined date-time forms are not allowed)`);
  }
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
  const months = n(2) * 12 + n(3);
  const ms = n(1) * 7 * 86_400_000 + n(4) * 86_400_000 + n(5) * 3_600_000 + n(6) * 60_000 + Math.round(n(7) * 1000);
  if (months > 0 && ms > 0) {
    throw badRequest(`${where} "${text}" mixes years/months with days or time; use either calendar months/years (P1M, P1Y) or a fixed length (P1D, PT6H)`);
  }
  if (months > 0) return { kind: 'months', months, text };
  if (ms > 0) return { kind: 'fixed', ms, text };
  return { kind: 'whole' };
}

/** Months since 1970-01 (UTC) of an instant. */
export function monthIndex(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth() - 1970 * 12;
}

/** The first instant of month `index` (months since 1970-01, UTC). */
export function monthStart(index: number): number {
  return Date.UTC(1970 + Math.floor(index / 12), ((index % 12) + 12) % 12, 1);
}
