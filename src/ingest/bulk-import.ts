/**
 * Bulk import of entities from files: CSV (one row an entity; a JSON mapping names the id
 * template, the type, the columns that become attributes with their types and unitCodes, and the
 * lat/lon columns of the location) and GeoJSON (one feature an entity: geometry → location,
 * properties → Properties). Turns rows into NGSI-LD entities (normalized) or a reason to reject them.
 */
import { convertValue, isAttributeType, kindOf, ATTRIBUTE_TYPES } from './values.js';

export interface ImportMapping {
  /** Entity id template with {column} placeholders, e.g. "urn:ngsi-ld:Parking:{code}". */
  id: string;
  type: string;
  /** @context of the attribute names (default: the core context). */
  context?: string;
  attributes?: Array<{ column: string; name?: string; type?: string; unitCode?: string }>;
  location?: { lat: string; lon: string };
}

export type RowOutcome = { ok: true; entity: Record<string, unknown> } | { ok: false; reason: string };

export class MappingError extends Error {}

/** Reads and checks a mapping file's JSON. */
export function readMapping(doc: unknown): ImportMapping {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new MappingError('the mapping must be a JSON object');
  const m = doc as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') throw new MappingError('the mapping needs "id": a template like "urn:ngsi-ld:Parking:{code}"');
  if (typeof m.type !== 'string' || m.type === '') throw new MappingError('the mapping needs "type": the entity type');
  if (m.context !== undefined && typeof m.context !== 'string') throw new MappingError('"context" must be a URL');
  if (m.attributes !== undefined) {
    if (!Array.isArray(m.attributes)) throw new MappingError('"attributes" must be an array of {column, name, type, unitCode}');
    for (const [i, a] of m.attributes.entries()) {
      if (typeof a !== 'object' || a === null || typeof a.column !== 'string') throw new MappingError(`attributes[${i}] needs a "column"`);
      if (a.type !== undefined && !isAttributeType(a.type)) throw new MappingError(`attributes[${i}].type must be one of ${ATTRIBUTE_TYPES.join(', ')}`);
    }
  }
  if (m.location !== undefined) {
    const l = m.location as Record<string, unknown>;
    if (typeof l !== 'object' || l === null || typeof l.lat !== 'string' || typeof l.lon !== 'string') throw new MappingError('"location" must be {"lat": column, "lon": column}');
  }
  return m as unknown as ImportMapping;
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF); the delimiter is , or ; (whichever the header uses more). */
export function parseCsv(text: string): string[][] {
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.slice(0, body.search(/\r?\n|$/));
  const delim = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delim) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function attribute(type: string, value: unknown, unitCode?: string): Record<string, unknown> {
  const kind = kindOf(type);
  const out: Record<string, unknown> = kind === 'Relationship' ? { type: kind, object: value } : { type: kind, value };
  if (unitCode) out.unitCode = unitCode;
  return out;
}

/** One CSV row (by header) as an entity, or why not. Empty cells leave the attribute out. */
export function csvRowToEntity(header: string[], cells: string[], m: ImportMapping): RowOutcome {
  if (cells.length !== header.length) return { ok: false, reason: `has ${cells.length} fields, the header has ${header.length}` };
  const row = new Map(header.map((h, i) => [h, cells[i]]));
  let missing: string | undefined;
  const id = m.id.replace(/\{([^}]+)\}/g, (_, col: string) => {
    const v = row.get(col);
    if (v === undefined || v === '') missing ??= col;
    return encodeURIComponent(v ?? '');
  });
  if (missing) return { ok: false, reason: `column "${missing}" of the id is empty or missing` };
  const entity: Record<string, unknown> = { id, type: m.type };
  const attributes: NonNullable<ImportMapping['attributes']> = m.attributes ?? header.filter((h) => !m.id.includes(`{${h}}`) && h !== m.location?.lat && h !== m.location?.lon).map((column) => ({ column }));
  for (const a of attributes) {
    const raw = row.get(a.column);
    if (raw === undefined) return { ok: false, reason: `the file has no column "${a.column}"` };
    if (raw.trim() === '') continue;
    try {
      entity[a.name ?? a.column] = attribute(a.type ?? 'Property', convertValue(raw.trim(), a.type ?? 'Property', true), a.unitCode);
    } catch (err) {
      return { ok: false, reason: `column "${a.column}": ${(err as Error).message}` };
    }
  }
  if (m.location) {
    const lat = Number(row.get(m.location.lat));
    const lon = Number(row.get(m.location.lon));
    if (row.get(m.location.lat)?.trim() === '' || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) {
      return { ok: false, reason: `location: "${row.get(m.location.lat)}", "${row.get(m.location.lon)}" is not a latitude/longitude pair` };
    }
    entity.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [lon, lat] } };
  }
  return { ok: true, entity };
}

/** One GeoJSON feature as an entity: id from feature.id or properties.id, type from the mapping or properties.type. */
export function featureToEntity(f: unknown, defaultType: string | undefined): RowOutcome {
  if (typeof f !== 'object' || f === null || (f as Record<string, unknown>).type !== 'Feature') return { ok: false, reason: 'is not a GeoJSON Feature' };
  const feature = f as { id?: unknown; geometry?: unknown; properties?: Record<string, unknown> | null };
  const props = { ...(feature.properties ?? {}) };
  const rawId = feature.id ?? props.id;
  const type = defaultType ?? (typeof props.type === 'string' ? props.type : undefined);
  if (!type) return { ok: false, reason: 'has no type (give --type, a mapping, or a "type" property)' };
  if (typeof rawId !== 'string' && typeof rawId !== 'number') return { ok: false, reason: 'has no id (feature.id or properties.id)' };
  const idText = String(rawId);
  const id = /^[a-z][a-z0-9+.-]*:/i.test(idText) ? idText : `urn:ngsi-ld:${type}:${encodeURIComponent(idText)}`;
  delete props.id;
  delete props.type;
  const entity: Record<string, unknown> = { id, type };
  for (const [k, v] of Object.entries(props)) if (v !== null) entity[k] = { type: 'Property', value: v };
  if (feature.geometry !== null && feature.geometry !== undefined) entity.location = { type: 'GeoProperty', value: feature.geometry };
  return { ok: true, entity };
}
