import { primaryValue, type AttrInstance } from '../../broker/model.js';
import { dateTimeMillis } from '../../broker/values/validate.js';

export interface AttributeIndexColumns {
  value: string | null;
  vnum: number | null;
  vstr: string | null;
  vtime: number | null;
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
