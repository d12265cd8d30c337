/**
 * Measure values → NGSI-LD attribute values, by the attribute type of the mapping (the IoT Agent's
 * type names). UltraLight values arrive as text and are read as the type asks; JSON values must
 * already have the right JSON type (a number for Number, true/false for Boolean...).
 */
import { readTimestamp } from './payload.js';

/** The attribute types a mapping may name. */
export const ATTRIBUTE_TYPES = ['Number', 'Float', 'Integer', 'Text', 'String', 'Boolean', 'DateTime', 'geo:point', 'geo:json', 'GeoProperty', 'Relationship', 'Property', 'StructuredValue'] as const;

export class WrongValueType extends Error {}

export function isAttributeType(t: unknown): boolean {
  return typeof t === 'string' && (ATTRIBUTE_TYPES as readonly string[]).includes(t);
}

/** The kind of NGSI-LD attribute a mapping type gives. */
export function kindOf(type: string): 'Property' | 'GeoProperty' | 'Relationship' {
  if (type === 'geo:point' || type === 'geo:json' || type === 'GeoProperty') return 'GeoProperty';
  if (type === 'Relationship') return 'Relationship';
  return 'Property';
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function toNumber(raw: unknown, text: boolean): number | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (text && typeof raw === 'string' && NUMBER.test(raw.trim())) return Number(raw);
  return undefined;
}

/** A number when the value reads as one (for expressions), else undefined. */
export function numericValue(raw: unknown): number | undefined {
  return toNumber(raw, true);
}

/**
 * The NGSI-LD value of a measure (`value` of a Property/GeoProperty, `object` of a Relationship).
 * `text`: the value came as text (UltraLight) and may be read as a number or boolean.
 */
export function convertValue(raw: unknown, type: string, text: boolean): unknown {
  const fail = (what: string): never => {
    throw new WrongValueType(`${JSON.stringify(raw)} is not ${what} (attribute type ${type})`);
  };
  switch (type) {
    case 'Number':
    case 'Float':
      return toNumber(raw, text) ?? fail('a number');
    case 'Integer': {
      const n = toNumber(raw, text);
      return n !== undefined && Number.isInteger(n) ? n : fail('an integer');
    }
    case 'Text':
    case 'String':
      return typeof raw === 'string' ? raw : fail('a text');
    case 'Boolean':
      if (typeof raw === 'boolean') return raw;
      if (text && (raw === 'true' || raw === 'false')) return raw === 'true';
      return fail('true or false');
    case 'DateTime':
      return (typeof raw === 'string' ? readTimestamp(raw) : undefined) ?? fail('an ISO 8601 date-time');
    case 'geo:point': {
      // The IoT Agent convention: "latitude, longitude".
      const parts = typeof raw === 'string' ? raw.split(',').map((p) => p.trim()) : [];
      const [lat, lon] = parts.map((p) => (NUMBER.test(p) ? Number(p) : NaN));
      if (parts.length !== 2 || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) fail('a "latitude,longitude" pair');
      return { type: 'Point', coordinates: [lon, lat] };
    }
    case 'geo:json':
    case 'GeoProperty': {
      let g = raw;
      if (typeof raw === 'string') {
        try {
          g = JSON.parse(raw);
        } catch {
          fail('a GeoJSON geometry');
        }
      }
      return typeof g === 'object' && g !== null && !Array.isArray(g) ? g : fail('a GeoJSON geometry');
    }
    case 'Relationship':
      return typeof raw === 'string' && raw !== '' ? raw : fail('an entity URI');
    default:
      // Property, StructuredValue: any JSON value; UltraLight text that reads as a number is a number.
      if (raw === null) fail('a value (null)');
      return (text ? toNumber(raw, true) : undefined) ?? raw;
  }
}
