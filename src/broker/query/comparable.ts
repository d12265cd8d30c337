/**
 * The scalar forms of a primary value that q compares: the number, the string, and the instant
 * of a date-time (a string, or a `{"@type": "DateTime", "@value": ...}` value). Stores index
 * exactly these (vnum, vstr, vtime) and the in-memory evaluator computes them here too, so the
 * two agree.
 */
import { dateTimeMillis } from '../values/validate.js';

export interface Comparable {
  vnum: number | null;
  vstr: string | null;
  /** Epoch milliseconds when `vstr` is a date-time. */
  vtime: number | null;
}

export function comparableOf(pv: unknown): Comparable {
  if (typeof pv === 'number') return { vnum: Number.isFinite(pv) ? pv : null, vstr: null, vtime: null };
  let vstr: string | null = null;
  if (typeof pv === 'string') vstr = pv;
  else if (pv !== null && typeof pv === 'object' && !Array.isArray(pv)) {
    const o = pv as Record<string, unknown>;
    if (o['@type'] === 'DateTime' && typeof o['@value'] === 'string') vstr = o['@value'];
  }
  return { vnum: null, vstr, vtime: vstr === null ? null : dateTimeMillis(vstr) };
}
