/**
 * The OpenAPI section of the temporal API (entity history): its paths, parameters and schemas,
 * written from src/temporal/routes.ts and the parameter parser (temporal-params.ts).
 */
import type { ApiSection, Json } from '../openapi/sections.js';
import { MAX_INSTANCES_PER_ATTRIBUTE } from './setup.js';
import { AGGREGATION_METHODS, TIME_PROPERTIES } from './temporal-params.js';

const TAG = 'Temporal (history)';
const T = '/ngsi-ld/v1/temporal/entities';
const ref = (section: string, name: string) => ({ $ref: `#/components/${section}/${name}` });
const p = (name: string) => ref('parameters', name);
const r = (name: string) => ref('responses', name);
const s = (name: string) => ref('schemas', name);

const TENANT = p('Tenant');
const LINK = p('Link');
const ENTITY_ID = p('EntityId');
const ATTR_ID = p('AttrId');

const query = (name: string, description: string, schema: Json): Json => ({ name, in: 'query', required: false, description, schema });

const parameters: Json = {
  TemporalTimerel: query(
    'timerel',
    'Temporal relation with timeAt: before (t < timeAt), after (t >= timeAt) or between (timeAt <= t < endTimeAt). Needs timeAt. Without it, every instance that has the time property.',
    { type: 'string', enum: ['before', 'after', 'between'] },
  ),
  TemporalTimeAt: query('timeAt', 'Instant the temporal relation refers to (date-time with a time zone).', { type: 'string', format: 'date-time' }),
  TemporalEndTimeAt: query('endTimeAt', 'End of the interval of timerel=between (exclusive); later than timeAt.', { type: 'string', format: 'date-time' }),
  TemporalTimeproperty: query(
    'timeproperty',
    'The time property instances are selected and ordered by; instances without it are not returned (updates without observedAt are found with modifiedAt or createdAt; deletions with deletedAt).',
    { type: 'string', enum: TIME_PROPERTIES, default: 'observedAt' },
  ),
  TemporalLastN: query(
    'lastN',
    'Only the N latest instances of each attribute within the interval. When an attribute has more, the answer is 206 with Content-Range.',
    { type: 'integer', minimum: 1 },
  ),
  TemporalOptions: query(
    'options',
    'Comma-separated: temporalValues (or simplified), aggregatedValues (needs aggrMethods), concise, sysAttrs (createdAt/modifiedAt of instances and entity).',
    { type: 'string' },
  ),
  TemporalFormat: query('format', 'Representation: normalized (default), concise, temporalValues (or simplified), aggregatedValues; must agree with options.', {
    type: 'string',
    enum: ['normalized', 'concise', 'temporalValues', 'simplified', 'aggregatedValues'],
  }),
  TemporalAggrMethods: query('aggrMethods', `Comma-separated aggregation methods for aggregatedValues: ${AGGREGATION_METHODS.join(', ')}. stddev is the population standard deviation.`, {
    type: 'string',
  }),
  TemporalAggrPeriodDuration: query(
    'aggrPeriodDuration',
    'ISO 8601 duration of each aggregation period (PT1H, P1D, P1W; P1M or P1Y periods follow calendar months/years). Absent or zero: the whole interval is one period.',
    { type: 'string', example: 'PT1H' },
  ),
  TemporalAttrs: query('attrs', 'Comma-separated attribute names: only their history is returned, and entities must have instances of one of them in the interval.', { type: 'string' }),
  InstanceId: { name: 'instanceId', in: 'path', required: true, description: 'The instanceId of an attribute instance (a URI, percent-encoded).', schema: { type: 'string', format: 'uri' } },
};

const readParams = [
  p('TemporalTimerel'),
  p('TemporalTimeAt'),
  p('TemporalEndTimeAt'),
  p('TemporalTimeproperty'),
  p('TemporalLastN'),
  p('TemporalAttrs'),
  p('TemporalOptions'),
  p('TemporalFormat'),
  p('TemporalAggrMethods'),
  p('TemporalAggrPeriodDuration'),
  p('lang'),
];

const CONTENT_RANGE = {
  description:
    `With 206: the range of instants served, "date-time <start>-<end>/<size>". At most ${MAX_INSTANCES_PER_ATTRIBUTE} instances of an attribute (or lastN) are returned; ` +
    'forwards: start is timeAt (after, between) or the first instant, end the last instant served, size *; with lastN (backwards): start is timeAt (before), endTimeAt (between) or the latest instant, end the earliest instant served, size lastN.',
  schema: { type: 'string', example: 'date-time 2026-11-01T00:00:00.000Z-2026-11-01T16:39:00.000Z/*' },
};

function read(description: string, schema: Json, count: boolean): Json {
  const headers: Json = { Link: ref('headers', 'Link') };
  if (count) headers['NGSILD-Results-Count'] = ref('headers', 'ResultsCount');
  const content = { 'application/json': { schema }, 'application/ld+json': { schema } };
  return {
    200: { description: `${description} Chosen by Accept: application/json (default; @context in the Link header) or application/ld+json.`, headers, content },
    206: { description: `${description} Partial: some attribute had more instances than one response carries.`, headers: { ...headers, 'Content-Range': CONTENT_RANGE }, content },
  };
}

const body = (description: string, schema: Json) => ({
  required: true,
  description,
  content: { 'application/json': { schema }, 'application/ld+json': { schema } },
});

const HISTORY_ONLY = 'Writes history only: the current entity (/entities) is not changed.';

export const temporalSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'The history of entities (clause 5.7.3 ff., 5.6.11 ff.): every change to an attribute is recorded as an attribute instance in the same transaction as the change; ' +
        'query it by time, aggregate it by period, and correct it.',
    },
  ],
  parameters,
  schemas: {
    TemporalEntity: {
      type: 'object',
      description:
        'An entity with the history of its attributes: normalized/concise, each attribute an array of instances (with instanceId; deletions have the value urn:ngsi-ld:null and deletedAt); ' +
        'temporalValues, {"type", "values": [[value, time], ...]}; aggregatedValues, {"type", "<method>": [[value, start, end], ...]}.',
      required: ['id', 'type'],
      properties: { id: { type: 'string', format: 'uri' }, type: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } },
      additionalProperties: true,
    },
    TemporalEntityList: { type: 'array', items: s('TemporalEntity') },
  },
  paths: {
    [T]: {
      get: {
        operationId: 'queryTemporalEntities',
        tags: [TAG],
        summary: 'Query entity history',
        description:
          'Temporal entities matching id, type, idPattern, attrs, q and geoQ, with the instances of their attributes in the interval, a page of entities at a time (limit, offset, count). ' +
          'q and geoQ are evaluated over the attribute instances recorded in the interval: an entity matches when some instance did.',
        parameters: [TENANT, LINK, p('id'), p('type'), p('idPattern'), p('q'), p('georel'), p('geometry'), p('coordinates'), p('geoproperty'), p('limit'), p('offset'), p('count'), ...readParams],
        responses: { ...read('The temporal entities.', s('TemporalEntityList'), true), 400: r('BadRequest'), 403: r('Forbidden'), 404: r('TenantNotFound'), 406: r('NotAcceptable'), 500: r('InternalError'), 503: r('ContextNotAvailable') },
      },
      post: {
        operationId: 'createTemporalEntity',
        tags: [TAG],
        summary: 'Create a temporal entity or add instances',
        description: `Each attribute is an instance or an array of instances (normalized or concise). Creates the temporal entity (201 with Location) or, when it exists, adds the instances (204). ${HISTORY_ONLY}`,
        parameters: [TENANT, LINK],
        requestBody: body('A temporal entity: id, type and attribute instances.', s('TemporalEntity')),
        responses: {
          201: { description: 'Created.', headers: { Location: ref('headers', 'Location') } },
          204: r('NoContent'),
          400: r('BadRequest'),
          415: r('UnsupportedMediaType'),
          500: r('InternalError'),
          503: r('ContextNotAvailable'),
        },
      },
    },
    [`${T}/{entityId}`]: {
      get: {
        operationId: 'retrieveTemporalEntity',
        tags: [TAG],
        summary: 'Retrieve the history of an entity',
        description: 'One temporal entity, also after the current entity was deleted, with the instances of its attributes in the interval.',
        parameters: [ENTITY_ID, TENANT, LINK, ...readParams],
        responses: { ...read('The temporal entity.', s('TemporalEntity'), false), 400: r('BadRequest'), 404: r('NotFound'), 406: r('NotAcceptable'), 500: r('InternalError'), 503: r('ContextNotAvailable') },
      },
      delete: {
        operationId: 'deleteTemporalEntity',
        tags: [TAG],
        summary: 'Delete the history of an entity',
        description: `Deletes the temporal entity and every recorded instance. ${HISTORY_ONLY}`,
        parameters: [ENTITY_ID, TENANT],
        responses: { 204: r('NoContent'), 400: r('BadRequest'), 404: r('NotFound'), 500: r('InternalError') },
      },
    },
    [`${T}/{entityId}/attrs`]: {
      post: {
        operationId: 'addTemporalAttributes',
        tags: [TAG],
        summary: 'Add attribute instances',
        description: `Adds instances (each attribute an instance or an array of them) to an existing temporal entity. ${HISTORY_ONLY}`,
        parameters: [ENTITY_ID, TENANT, LINK],
        requestBody: body('Attributes with their instances.', s('TemporalEntity')),
        responses: { 204: r('NoContent'), 400: r('BadRequest'), 404: r('NotFound'), 415: r('UnsupportedMediaType'), 500: r('InternalError'), 503: r('ContextNotAvailable') },
      },
    },
    [`${T}/{entityId}/attrs/{attrId}`]: {
      delete: {
        operationId: 'deleteTemporalAttribute',
        tags: [TAG],
        summary: 'Delete the history of an attribute',
        description: `Deletes the instances of the attribute without datasetId, of one datasetId, or (deleteAll=true) all of them. ${HISTORY_ONLY}`,
        parameters: [ENTITY_ID, ATTR_ID, TENANT, LINK, p('datasetId'), p('deleteAll')],
        responses: { 204: r('NoContent'), 400: r('BadRequest'), 404: r('NotFound'), 500: r('InternalError'), 503: r('ContextNotAvailable') },
      },
    },
    [`${T}/{entityId}/attrs/{attrId}/{instanceId}`]: {
      patch: {
        operationId: 'modifyTemporalAttributeInstance',
        tags: [TAG],
        summary: 'Modify an attribute instance',
        description: `Replaces the content of one instance (its instanceId, createdAt and, unless given, observedAt are kept; modifiedAt is now). ${HISTORY_ONLY}`,
        parameters: [ENTITY_ID, ATTR_ID, p('InstanceId'), TENANT, LINK],
        requestBody: body('The new content of the instance.', s('AttributeInstance')),
        responses: { 204: r('NoContent'), 400: r('BadRequest'), 404: r('NotFound'), 415: r('UnsupportedMediaType'), 500: r('InternalError'), 503: r('ContextNotAvailable') },
      },
      delete: {
        operationId: 'deleteTemporalAttributeInstance',
        tags: [TAG],
        summary: 'Delete an attribute instance',
        description: `Deletes one recorded instance. ${HISTORY_ONLY}`,
        parameters: [ENTITY_ID, ATTR_ID, p('InstanceId'), TENANT, LINK],
        responses: { 204: r('NoContent'), 400: r('BadRequest'), 404: r('NotFound'), 500: r('InternalError'), 503: r('ContextNotAvailable') },
      },
    },
  },
};
