/**
 * Reads the query parameters of the temporal API (GET /temporal/entities and /{entityId}): the
 * broker's parameters (id, type, idPattern, attrs, q, geoQ, lang, limit, offset, count, options)
 * through the broker's own parser, plus the temporal query (timerel, timeAt, endTimeAt,
 * timeproperty), lastN and the representation (normalized, concise, temporalValues,
 * aggregatedValues with aggrMethods and aggrPeriodDuration). Protocol-neutral.
 */
import { badRequest } from '../errors.js';
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import { listParam, parseQueryInput, type ParsedQuery, type QueryInput } from '../broker/query/query-params.js';
import { dateTimeMillis, isDateTime } from '../broker/values/validate.js';
import { parseDuration, type Duration } from './duration.js';
import type { TimeFilter, TimeProperty } from './store.js';

export const AGGREGATION_METHODS = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

export const TIME_PROPERTIES: TimeProperty[] = ['observedAt', 'createdAt', 'modifiedAt', 'deletedAt'];

export interface TemporalInput extends QueryInput {
  timerel?: string;
  timeAt?: string;
  endTimeAt?: string;
  timeproperty?: string;
  lastN?: string;
  aggrMethods?: string | string[];
  aggrPeriodDuration?: string;
}

export type TemporalFormat = 'normalized' | 'concise' | 'temporalValues' | 'aggregatedValues';

export interface TemporalQuery {
  /** The broker's parse: selectors, attrs, q, geoQ, render options (attrs, sysAttrs, lang), paging. */
  parsed: ParsedQuery;
  time: TimeFilter;
  format: TemporalFormat;
  lastN?: number;
  aggrMethods: AggregationMethod[];
  aggrPeriod: Duration;
}

/** Representation keywords that belong to the temporal API, not to the broker's parser. */
const TEMPORAL_OPTIONS = new Set(['temporalValues', 'simplified', 'aggregatedValues']);

function instant(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!isDateTime(v)) throw badRequest(`${name} must be a date-time with a time zone (like 2026-11-21T10:00:00Z), got "${v}"`);
  return dateTimeMillis(v)!;
}

/** Parses every parameter; throws BadRequestData naming the one at fault. */
export function parseTemporalInput(input: TemporalInput, ctx: CompiledContext): TemporalQuery {
  const options = listParam(input.options) ?? [];
  const temporalOptions = options.filter((o) => TEMPORAL_OPTIONS.has(o));
  const formatParam = input.format !== undefined && TEMPORAL_OPTIONS.has(input.format) ? input.format : undefined;
  const parsed = parseQueryInput(
    { ...input, options: options.filter((o) => !TEMPORAL_OPTIONS.has(o)), format: formatParam === undefined ? input.format : undefined },
    ctx,
  );

  const wanted = new Set<TemporalFormat>();
  for (const o of [...temporalOptions, ...(formatParam ? [formatParam] : [])]) wanted.add(o === 'aggregatedValues' ? 'aggregatedValues' : 'temporalValues');
  if (parsed.render.format === 'keyValues') wanted.add('temporalValues');
  else if (parsed.render.format === 'concise') wanted.add('concise');
  if (wanted.size > 1) throw badRequest(`conflicting representations requested: ${[...wanted].join(' and ')}`);
  const format: TemporalFormat = wanted.values().next().value ?? 'normalized';

  const property = (input.timeproperty ?? 'observedAt') as TimeProperty;
  if (!TIME_PROPERTIES.includes(property)) throw badRequest(`timeproperty must be one of ${TIME_PROPERTIES.join(', ')}, got "${input.timeproperty}"`);
  const time: TimeFilter = { property };
  const timeAt = instant(input.timeAt, 'timeAt');
  const endTimeAt = instant(input.endTimeAt, 'endTimeAt');
  if (input.timerel !== undefined) {
    if (input.timerel !== 'before' && input.timerel !== 'after' && input.timerel !== 'between') {
      throw badRequest(`timerel must be before, after or between, got "${input.timerel}"`);
    }
    if (timeAt === undefined) throw badRequest(`timerel=${input.timerel} needs timeAt`);
    if (input.timerel === 'between') {
      if (endTimeAt === undefined) throw badRequest('timerel=between needs endTimeAt');
      if (endTimeAt <= timeAt) throw badRequest('endTimeAt must be later than timeAt');
    } else if (endTimeAt !== undefined) throw badRequest(`endTimeAt is only used with timerel=between, not ${input.timerel}`);
    time.timerel = input.timerel;
    time.timeAt = timeAt;
    if (endTimeAt !== undefined) time.endTimeAt = endTimeAt;
  } else if (timeAt !== undefined || endTimeAt !== undefined) {
    throw badRequest('timeAt and endTimeAt need timerel (before, after or between)');
  }

  const q: TemporalQuery = { parsed, time, format, aggrMethods: [], aggrPeriod: { kind: 'whole' } };
  if (input.lastN !== undefined) {
    if (!/^\d+$/.test(input.lastN) || Number(input.lastN) < 1) throw badRequest(`lastN must be an integer >= 1, got "${input.lastN}"`);
    q.lastN = Number(input.lastN);
  }
  const methods = listParam(input.aggrMethods);
  if (format === 'aggregatedValues') {
    if (!methods || methods.length === 0) throw badRequest(`aggregatedValues needs aggrMethods (${AGGREGATION_METHODS.join(', ')})`);
    for (const m of methods) {
      if (!(AGGREGATION_METHODS as readonly string[]).includes(m)) throw badRequest(`aggrMethods: "${m}" is not one of ${AGGREGATION_METHODS.join(', ')}`);
    }
    q.aggrMethods = [...new Set(methods)] as AggregationMethod[];
    if (input.aggrPeriodDuration !== undefined) q.aggrPeriod = parseDuration(input.aggrPeriodDuration);
  } else if (methods !== undefined || input.aggrPeriodDuration !== undefined) {
    throw badRequest('aggrMethods and aggrPeriodDuration are only used with options=aggregatedValues');
  }
  return q;
}
