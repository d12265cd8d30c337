import { primaryValue, type AttrInstance } from '../../broker/model.js';

/** Strict ISO 8601 date-time (as NGSI-LD DateTime): 2024-05-01T10:00:00Z, with optional fraction and offset. */
export const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface AttributeIndexColumns {
  value: string | null;
  vnum: number | null;
  vstr: string | null;
  vtime: number | null;
}

/** Epoch milliseconds of a date-time string, or null when it is not one. */
export function dateTimeMillis(s: string): number | null {
  if (!DATE_TIME.test(s)) return null;
  // A date-time without an offset is read as UTC, as NGSI-LD requires UTC.
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : s + 'Z';
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : ms;
}

/** The indexed columns of the attributes table for one attribute instance. */
export function attributeIndexColumns(a: AttrInstance): AttributeIndexColumns {
  const pv = primaryValue(a);
  const cols: AttributeIndexColumns = { value: pv === undefined ? null : JSON.stringify(pv), vnum: null, vstr: null, vtime: null };
  if (typeof pv === 'number' && Number.isFinite(pv)) cols.vnum = pv;
  else if (typeof pv === 'string') {
    cols.vstr = pv;
    cols.vtime = dateTimeMillis(pv);
  } else if (pv !== null && typeof pv === 'object' && !Array.isArray(pv)) {
    const o = pv as Record<string, unknown>;
    if (o['@type'] === 'DateTime' && typeof o['@value'] === 'string') {
      cols.vstr = o['@value'];
      cols.vtime = dateTimeMillis(o['@value']);
    }
  }
  return cols;
}
