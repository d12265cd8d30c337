import { primaryValue, type AttrInstance } from '../../broker/model.js';
import { comparableOf, type Comparable } from '../../broker/query/comparable.js';

export interface AttributeIndexColumns extends Comparable {
  value: string | null;
}

/** The indexed columns of the attributes table for one attribute instance. */
export function attributeIndexColumns(a: AttrInstance): AttributeIndexColumns {
  const pv = primaryValue(a);
  return { value: pv === undefined ? null : JSON.stringify(pv), ...comparableOf(pv) };
}
