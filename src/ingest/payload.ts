/**
 * Device payload parsers: UltraLight 2.0 (`t|21.5|h|40`, groups separated by `#`, an optional
 * leading timestamp per group) and JSON (`{"t": 21.5, "h": 40}`, optional TimeInstant). Both give
 * the same shape: groups of measures, each group one attribute update of the device's entity.
 */
import { dateTimeMillis } from '../broker/values/validate.js';

export interface MeasureGroup {
  /** Observation time given in the payload (ISO 8601, UTC), if any. */
  timestamp?: string;
  /** Measure name → raw value (a string for UltraLight, any JSON value for JSON). */
  measures: Map<string, unknown>;
}

/** A payload that cannot be read: the whole message is dropped. */
export class MalformedPayload extends Error {}

const MAX_MEASURES = 256;

/** ISO 8601 UTC of a timestamp, or undefined when the text is not a date-time. */
export function readTimestamp(text: string): string | undefined {
  const ms = dateTimeMillis(text);
  return ms === null ? undefined : new Date(ms).toISOString();
}

/**
 * UltraLight 2.0: `[timestamp|]name|value|name|value...`, groups separated by `#`. Names and values
 * cannot contain `|` or `#` (they are the separators); names are not empty; each name has a value.
 */
export function parseUltraLight(text: string): MeasureGroup[] {
  const body = text.trim();
  if (body === '') throw new MalformedPayload('the UltraLight payload is empty');
  const groups: MeasureGroup[] = [];
  for (const [g, raw] of body.split('#').entries()) {
    const fields = raw.trim().split('|').map((f) => f.trim());
    const where = `UltraLight group ${g + 1} ("${raw.trim().slice(0, 60)}")`;
    if (fields.length === 1 && fields[0] === '') throw new MalformedPayload(`${where} is empty`);
    const group: MeasureGroup = { measures: new Map() };
    let i = 0;
    if (fields.length % 2 === 1) {
      const ts = readTimestamp(fields[0]);
      if (ts === undefined) {
        throw new MalformedPayload(`${where} has an odd number of fields and does not start with a timestamp: every measure needs name|value`);
      }
      group.timestamp = ts;
      i = 1;
    }
    for (; i < fields.length; i += 2) {
      const name = fields[i];
      if (name === '') throw new MalformedPayload(`${where} has a measure without a name`);
      group.measures.set(name, fields[i + 1]);
    }
    if (group.measures.size === 0) throw new MalformedPayload(`${where} has a timestamp but no measure`);
    if (group.measures.size > MAX_MEASURES) throw new MalformedPayload(`${where} has more than ${MAX_MEASURES} measures`);
    groups.push(group);
  }
  return groups;
}

/**
 * JSON: an object of measures (`TimeInstant`, if present, is the observation time), or an array
 * of such objects (one group each).
 */
export function parseJsonPayload(text: string): MeasureGroup[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MalformedPayload(`the JSON payload is not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : [doc];
  if (list.length === 0) throw new MalformedPayload('the JSON payload is an empty array');
  return list.map((item, n) => {
    const where = Array.isArray(doc) ? `JSON payload item ${n + 1}` : 'the JSON payload';
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new MalformedPayload(`${where} must be an object of measures`);
    const group: MeasureGroup = { measures: new Map() };
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      if (name === 'TimeInstant') {
        const ts = typeof value === 'string' ? readTimestamp(value) : undefined;
        if (ts === undefined) throw new MalformedPayload(`${where}: TimeInstant must be an ISO 8601 date-time, got ${JSON.stringify(value)}`);
        group.timestamp = ts;
      } else {
        if (name === '') throw new MalformedPayload(`${where} has a measure without a name`);
        group.measures.set(name, value);
      }
    }
    if (group.measures.size === 0) throw new MalformedPayload(`${where} has no measure`);
    if (group.measures.size > MAX_MEASURES) throw new MalformedPayload(`${where} has more than ${MAX_MEASURES} measures`);
    return group;
  });
}
