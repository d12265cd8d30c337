/**
 * Reads the query parameters of entity retrieval and query (GET /entities, GET /entities/{id},
 * POST /entityOperations/query) into an EntityQuery for the store and RenderOptions for output.
 * Protocol-neutral: the routes hand over plain strings and objects.
 */
import { badRequest, NgsiError } from '../../errors.js';
import type { CompiledContext } from '../jsonld/compiled-context.js';
import { parseGeoQuery } from '../geo/geo-query.js';
import type { Format, RenderOptions } from '../output.js';
import type { EntityQuery, EntitySelector } from '../store.js';
import { requireName, requireUri } from '../values/validate.js';
import { parseQ } from './q-parser.js';
import { compileSafeRegex } from './regex-guard.js';
import { parseScopeQ } from './scope-q.js';
import { parseTypeSelection } from './type-selection.js';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1000;

/** The parameters as they arrive: URL query strings, or members of a Query body. */
export interface QueryInput {
  id?: string | string[];
  type?: string;
  idPattern?: string;
  /** Several selectors (POST /entityOperations/query `entities`), OR-ed. */
  entities?: unknown;
  attrs?: string | string[];
  pick?: string | string[];
  omit?: string | string[];
  q?: string;
  scopeQ?: string;
  georel?: string;
  geometry?: string;
  coordinates?: unknown;
  geoproperty?: string;
  geometryProperty?: string;
  lang?: string;
  limit?: string | number;
  offset?: string | number;
  count?: string | boolean;
  options?: string | string[];
  format?: string;
  local?: string | boolean;
}

export interface ParsedQuery {
  query: Omit<EntityQuery, 'limit' | 'offset' | 'count'>;
  render: RenderOptions;
  limit: number;
  offset: number;
  count: boolean;
  /** Expanded name of the GeoProperty used as geometry in GeoJSON output. */
  geometryProperty: string;
  /** True when the request selects something (type, id, q, ...), as GET /entities requires. */
  selective: boolean;
}

/** Comma-separated list parameter (or already a list). */
export function listParam(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  return items;
}

/** The `options` values (keyValues, sysAttrs, noOverwrite, ...) as a set. */
export function optionsOf(input: { options?: string | string[] }): Set<string> {
  return new Set(listParam(input.options) ?? []);
}

function intParam(v: string | number | undefined, name: string, def: number, min: number): number {
  if (v === undefined || v === '') return def;
  const n = typeof v === 'number' ? v : /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min) throw badRequest(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

function boolParam(v: string | boolean | undefined, name: string): boolean {
  if (v === undefined || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw badRequest(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

/** Output format and options: format=..., options=keyValues|concise|normalized|sysAttrs. */
export function parseRenderOptions(input: QueryInput, ctx: CompiledContext): RenderOptions {
  const options = optionsOf(input);
  const formats = new Set<Format>();
  for (const o of options) {
    if (o === 'keyValues' || o === 'simplified') formats.add('keyValues');
    else if (o === 'concise') formats.add('concise');
    else if (o === 'normalized') formats.add('normalized');
  }
  if (input.format !== undefined) {
    const f = input.format === 'simplified' ? 'keyValues' : input.format;
    if (f !== 'keyValues' && f !== 'concise' && f !== 'normalized') {
      throw badRequest(`format must be normalized, concise, keyValues or simplified, got "${input.format}"`);
    }
    formats.add(f);
  }
  if (formats.size > 1) throw badRequest(`conflicting representations requested: ${[...formats].join(' and ')}`);
  const render: RenderOptions = {
    format: formats.values().next().value ?? 'normalized',
    sysAttrs: options.has('sysAttrs'),
    keepId: true,
    keepType: true,
  };
  const attrs = listParam(input.attrs);
  const pick = listParam(input.pick);
  const omit = listParam(input.omit);
  if (pick && omit) throw badRequest('pick and omit cannot be used together');
  if (attrs) render.attrs = new Set(attrs.map((a) => ctx.expandTerm(requireName(a, 'attrs'))));
  if (pick) {
    render.keepId = pick.includes('id');
    render.keepType = pick.includes('type');
    const names = pick.filter((a) => a !== 'id' && a !== 'type').map((a) => ctx.expandTerm(requireName(a, 'pick')));
    render.attrs = render.attrs ? new Set(names.filter((n) => render.attrs!.has(n))) : new Set(names);
  }
  if (omit) {
    if (omit.includes('id')) render.keepId = false;
    if (omit.includes('type')) render.keepType = false;
    render.omit = new Set(omit.filter((a) => a !== 'id' && a !== 'type').map((a) => ctx.expandTerm(requireName(a, 'omit'))));
  }
  if (input.lang !== undefined) {
    if (!/^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(;q=[01](\.\d+)?)?(,[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(;q=[01](\.\d+)?)?)*)$/.test(input.lang)) {
      throw badRequest(`lang must be a language tag (like en or zh-Hans), a list of them, or *; got "${input.lang}"`);
    }
    render.lang = input.lang;
  }
  return render;
}

function parseSelector(raw: unknown, where: string): EntitySelector {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(`${where} must be an object with id, idPattern and/or type`);
  const r = raw as Record<string, unknown>;
  const sel: EntitySelector = {};
  if (r.id !== undefined) sel.ids = [requireUri(r.id, `${where}.id`)];
  if (r.idPattern !== undefined) {
    if (typeof r.idPattern !== 'string') throw badRequest(`${where}.idPattern must be a string`);
    compileSafeRegex(r.idPattern, `${where}.idPattern`);
    sel.idPattern = r.idPattern;
  }
  if (r.type !== undefined) {
    if (typeof r.type !== 'string') throw badRequest(`${where}.type must be a string`);
    sel.typeSelection = parseTypeSelection(r.type);
  }
  return sel;
}

/** Parses everything; throws BadRequestData naming the parameter at fault. */
export function parseQueryInput(input: QueryInput, ctx: CompiledContext): ParsedQuery {
  const render = parseRenderOptions(input, ctx);
  const query: ParsedQuery['query'] = { expand: (t: string) => ctx.expandTerm(t) };
  const selectors: EntitySelector[] = [];
  if (input.entities !== undefined) {
    if (!Array.isArray(input.entities) || input.entities.length === 0) throw badRequest('entities must be a non-empty array of selectors');
    input.entities.forEach((s, i) => selectors.push(parseSelector(s, `entities[${i}]`)));
  }
  const ids = listParam(input.id);
  if (ids || input.idPattern !== undefined || input.type !== undefined) {
    const sel: EntitySelector = {};
    if (ids) sel.ids = ids.map((i) => requireUri(i, 'id'));
    if (input.idPattern !== undefined) {
      compileSafeRegex(input.idPattern, 'idPattern');
      sel.idPattern = input.idPattern;
    }
    if (input.type !== undefined) sel.typeSelection = parseTypeSelection(input.type);
    selectors.push(sel);
  }
  if (selectors.length > 0) query.entities = selectors;
  const attrs = listParam(input.attrs);
  if (attrs) query.attrs = attrs.map((a) => ctx.expandTerm(a));
  if (input.q !== undefined) query.q = parseQ(input.q);
  if (input.scopeQ !== undefined) query.scopeQ = parseScopeQ(input.scopeQ);
  const geo = parseGeoQuery({ georel: input.georel, geometry: input.geometry, coordinates: input.coordinates, geoproperty: input.geoproperty });
  if (geo) query.geoQ = { ...geo, geoproperty: ctx.expandTerm(input.geoproperty ?? 'location') };
  const limit = intParam(input.limit, 'limit', DEFAULT_LIMIT, 0);
  if (limit > MAX_LIMIT) throw new NgsiError('TooManyResults', `limit ${limit} is over the maximum of ${MAX_LIMIT}; page with offset`);
  const count = boolParam(input.count, 'count');
  if (limit === 0 && !count) throw badRequest('limit=0 is only allowed with count=true');
  return {
    query,
    render,
    limit,
    offset: intParam(input.offset, 'offset', 0, 0),
    count,
    geometryProperty: ctx.expandTerm(input.geometryProperty ?? 'location'),
    selective: selectors.length > 0 || !!attrs || !!query.q || !!query.geoQ || !!query.scopeQ || boolParam(input.local, 'local'),
  };
}
