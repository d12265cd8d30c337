/**
 * The OpenAPI 3.1 description of everything Urbis serves: the NGSI-LD API under /ngsi-ld/v1
 * (entities, batch operations, discovery, JSON-LD contexts) and the operational endpoints
 * (/health, /ready, /openapi.json, /docs).
 *
 * Written by hand from the route handlers (src/server/app.ts, src/broker/routes/*.ts) so that it
 * says what the code does: status codes, media types, headers and NGSI-LD error types. The
 * limits and error types are read from the modules that enforce them. Built once, then cached.
 */
import { VERSION } from '../version.js';
import { ERROR_TYPE_BASE, ErrorTypes, NgsiError, type ErrorType } from '../errors.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../broker/query/query-params.js';
import { MAX_BATCH } from '../broker/routes/batch.js';

import { SECTIONS } from './sections.js';

type Json = Record<string, unknown>;

const API = '/ngsi-ld/v1';
const CORE_CONTEXT = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld';
const LINK_REL = 'http://www.w3.org/ns/json-ld#context';

const JSON_TYPE = 'application/json';
const JSON_LD = 'application/ld+json';
const GEO_JSON = 'application/geo+json';
const MERGE_PATCH = 'application/merge-patch+json';

export const TAGS = {
  entities: 'Entities',
  batch: 'Batch operations',
  discovery: 'Discovery',
  contexts: 'JSON-LD contexts',
  operations: 'Operations',
} as const;

const ref = (section: 'schemas' | 'parameters' | 'responses' | 'headers', name: string) => ({ $ref: `#/components/${section}/${name}` });
const schema = (name: string) => ref('schemas', name);
const param = (name: string) => ref('parameters', name);
const response = (name: string) => ref('responses', name);
const header = (name: string) => ref('headers', name);


// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const dateTime = { type: 'string', format: 'date-time' };
const uri = { type: 'string', format: 'uri' };
const oneOrMany = (item: Json, description?: string): Json => ({
  ...(description ? { description } : {}),
  oneOf: [item, { type: 'array', items: item, minItems: 1 }],
});

/** Members every attribute instance may carry besides its value member. */
function instanceMembers(kind: string): Json {
  return {
    type: { type: 'string', const: kind, description: `Always "${kind}" in the normalized representation; may be left out in requests when the value member makes the kind unambiguous.` },
    observedAt: { ...dateTime, description: 'When the value was observed (ISO 8601 UTC date-time).' },
    unitCode: { type: 'string', minLength: 1, description: 'UN/CEFACT code of the unit of the value (for example CEL).' },
    datasetId: { ...uri, description: 'Identifies one of several instances of the attribute (top-level attributes only); absent for the default instance.' },
    createdAt: { ...dateTime, readOnly: true, description: 'System attribute: when the instance was created (with options=sysAttrs).' },
    modifiedAt: { ...dateTime, readOnly: true, description: 'System attribute: when the instance was last modified (with options=sysAttrs).' },
  };
}

function attributeKind(kind: string, description: string, valueMember: string, valueSchema: Json, extra: Json = {}): Json {
  const { type, ...rest } = instanceMembers(kind);
  return {
    type: 'object',
    description: `${description} Any member not listed here is a sub-attribute (an attribute instance of its own).`,
    properties: { type, [valueMember]: valueSchema, ...extra, ...rest },
    required: [valueMember],
    additionalProperties: schema('AttributeInstance'),
  };
}

function geometry(name: string, coordinates: Json): Json {
  return {
    type: 'object',
    description: `A GeoJSON ${name} (RFC 7946), longitude before latitude.`,
    properties: { type: { type: 'string', const: name }, coordinates },
    required: ['type', 'coordinates'],
  };
}

const position = schema('Position');
const positions = { type: 'array', items: position };
const ring = { type: 'array', items: position, minItems: 4, description: 'A closed ring: the first and last positions are equal.' };

const problemTypeList = (Object.keys(ErrorTypes) as ErrorType[]).map((t) => ERROR_TYPE_BASE + t);

function schemas(): Record<string, Json> {
  return {
    ProblemDetails: {
      type: 'object',
      description:
        'An RFC 7807 problem report (ETSI GS CIM 009 clause 5.5.2). `type` is the NGSI-LD error type URI; ' +
        'Urbis also uses NotAcceptable (406) and UnsupportedMediaType (415) under the same base URI.',
      properties: {
        type: { type: 'string', format: 'uri', enum: problemTypeList, description: `The error type, ${ERROR_TYPE_BASE} followed by its name.` },
        title: { type: 'string', description: 'Short human-readable summary of the error type.' },
        status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status code.' },
        detail: { type: 'string', description: 'What went wrong with this request.' },
        instance: { type: 'string', description: 'The resource the error is about (entity id, attribute name, tenant, context URL), when there is one.' },
      },
      required: ['type', 'title', 'status', 'detail'],
    },
    EntityId: { ...uri, description: 'An entity id: an absolute URI (for example urn:ngsi-ld:Vehicle:A4567).', examples: ['urn:ngsi-ld:Vehicle:A4567'] },
    EntityTypeNames: oneOrMany({ type: 'string', minLength: 1 }, 'Entity type(s): terms of the @context or full IRIs.'),
    Scope: oneOrMany({ type: 'string', pattern: '^/' }, 'Scope(s) of the entity: paths like /Madrid/Gardens.'),
    LdContext: {
      description: 'A JSON-LD @context: a URL, an inline context object, or an array of them.',
      oneOf: [
        { type: 'string', format: 'uri' },
        { type: 'object' },
        { type: 'array', minItems: 1, items: { oneOf: [{ type: 'string', format: 'uri' }, { type: 'object' }] } },
      ],
    },

    Position: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 3, description: '[longitude, latitude] or [longitude, latitude, altitude].' },
    Point: geometry('Point', position),
    MultiPoint: geometry('MultiPoint', positions),
    LineString: geometry('LineString', { ...positions, minItems: 2 }),
    MultiLineString: geometry('MultiLineString', { type: 'array', items: { ...positions, minItems: 2 } }),
    Polygon: geometry('Polygon', { type: 'array', items: ring, minItems: 1 }),
    MultiPolygon: geometry('MultiPolygon', { type: 'array', items: { type: 'array', items: ring, minItems: 1 } }),
    Geometry: {
      description: 'A GeoJSON geometry of one of the types Urbis stores and queries (GeometryCollection is not supported).',
      oneOf: ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'].map(schema),
    },

    Property: attributeKind('Property', 'A Property: a value (string, number, boolean, array or JSON object).', 'value', {
      description: 'The value; in an update, "urn:ngsi-ld:null" deletes the attribute.',
    }, {
      lang: { type: 'string', readOnly: true, description: 'With the lang parameter, a LanguageProperty is returned as a Property holding the chosen string; lang names its language tag.' },
    }),
    Relationship: attributeKind('Relationship', 'A Relationship: a link to one (or several) other entities.', 'object', oneOrMany(uri, 'The id(s) of the related entity/entities.'), {
      objectType: { ...oneOrMany({ type: 'string' }), description: 'Type(s) of the target entity.' },
    }),
    GeoProperty: attributeKind('GeoProperty', 'A GeoProperty: a GeoJSON geometry. In concise form the bare geometry can stand for the attribute.', 'value', schema('Geometry')),
    LanguageProperty: attributeKind('LanguageProperty', 'A LanguageProperty: strings per language.', 'languageMap', {
      type: 'object',
      description: 'Language tag (BCP 47, or @none) to string or array of strings.',
      additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      examples: [{ en: 'Main street', de: 'Hauptstraße' }],
    }),
    VocabProperty: attributeKind('VocabProperty', 'A VocabProperty (also accepted as VocabularyProperty): terms expanded and compacted with the @context.', 'vocab', oneOrMany({ type: 'string', minLength: 1 }, 'Vocabulary term(s).')),
    JsonProperty: attributeKind('JsonProperty', 'A JsonProperty: JSON kept verbatim (no JSON-LD expansion of its keys).', 'json', { description: 'Any JSON value.' }),
    ListProperty: attributeKind('ListProperty', 'A ListProperty: an ordered list of values.', 'valueList', { type: 'array', items: {} }),
    ListRelationship: attributeKind('ListRelationship', 'A ListRelationship: an ordered list of related entities.', 'objectList', {
      type: 'array',
      description: 'The related entities in order: in requests URIs or {"object": URI} objects; in responses {"object": URI} objects.',
      items: { oneOf: [uri, { type: 'object', properties: { object: uri }, required: ['object'] }] },
    }, {
      objectType: { ...oneOrMany({ type: 'string' }), description: 'Type(s) of the target entities.' },
    }),
    AttributeInstance: {
      description: 'One instance of an attribute, of one of the eight NGSI-LD attribute kinds.',
      anyOf: ['Property', 'Relationship', 'GeoProperty', 'LanguageProperty', 'VocabProperty', 'JsonProperty', 'ListProperty', 'ListRelationship'].map(schema),
    },
    EntityAttribute: {
      description:
        'An attribute of an entity: one instance, or an array of instances with different datasetIds. ' +
        'In concise and keyValues representations (and concise requests) the value may stand alone.',
      anyOf: [schema('AttributeInstance'), { type: 'array', items: schema('AttributeInstance'), minItems: 1 }, { description: 'A concise or keyValues value.' }],
    },
    Entity: {
      type: 'object',
      description:
        'An NGSI-LD entity. Every member other than id, type, scope, createdAt, modifiedAt and @context is an attribute ' +
        '(names are terms of the @context). For application/ld+json bodies @context is required; application/json bodies must not carry it.',
      properties: {
        id: schema('EntityId'),
        type: schema('EntityTypeNames'),
        scope: schema('Scope'),
        createdAt: { ...dateTime, readOnly: true, description: 'System attribute (with options=sysAttrs).' },
        modifiedAt: { ...dateTime, readOnly: true, description: 'System attribute (with options=sysAttrs).' },
        '@context': schema('LdContext'),
      },
      additionalProperties: schema('EntityAttribute'),
      examples: [
        {
          id: 'urn:ngsi-ld:OffStreetParking:Downtown1',
          type: 'OffStreetParking',
          availableSpotNumber: { type: 'Property', value: 121, observedAt: '2024-03-01T12:00:00Z' },
          location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-8.5, 41.2] } },
          isNextToBuilding: { type: 'Relationship', object: 'urn:ngsi-ld:Building:B1' },
        },
      ],
    },
    EntityLd: {
      description: 'An entity in an application/ld+json body: it must carry its @context.',
      allOf: [schema('Entity'), { required: ['@context'] }],
    },
    NewEntity: {
      description: 'An entity to create: id and type are required.',
      allOf: [schema('Entity'), { required: ['id', 'type'] }],
    },
    NewEntityLd: {
      description: 'An entity to create in an application/ld+json body: id, type and @context are required.',
      allOf: [schema('Entity'), { required: ['id', 'type', '@context'] }],
    },
    EntityList: { type: 'array', items: schema('Entity'), description: 'Entities in the requested representation.' },
    Feature: {
      type: 'object',
      description: 'An entity as a GeoJSON Feature (application/geo+json): the geometry is the GeoProperty named by geometryProperty (location by default).',
      properties: {
        id: schema('EntityId'),
        type: { type: 'string', const: 'Feature' },
        geometry: { oneOf: [schema('Geometry'), { type: 'null' }] },
        properties: { type: 'object', description: 'The entity without its id: type and attributes.', additionalProperties: true },
      },
      required: ['id', 'type', 'geometry', 'properties'],
    },
    FeatureCollection: {
      type: 'object',
      properties: { type: { type: 'string', const: 'FeatureCollection' }, features: { type: 'array', items: schema('Feature') } },
      required: ['type', 'features'],
    },
    UpdateResult: {
      type: 'object',
      description: 'Which attributes were updated and which were not, with the reason.',
      properties: {
        updated: { type: 'array', items: { type: 'string' }, description: 'Attribute names that were appended or updated.' },
        notUpdated: {
          type: 'array',
          items: {
            type: 'object',
            properties: { attributeName: { type: 'string' }, reason: { type: 'string' } },
            required: ['attributeName', 'reason'],
          },
        },
      },
      required: ['updated', 'notUpdated'],
    },
    BatchEntityIdList: { type: 'array', items: schema('EntityId'), description: 'Ids of the entities created.' },
    BatchOperationResult: {
      type: 'object',
      description: 'Outcome of a batch operation in which some entities failed: each entity succeeds or fails on its own.',
      properties: {
        success: { type: 'array', items: schema('EntityId') },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            properties: { entityId: { type: 'string', description: 'The entity id ("unknown" when the entity had none).' }, error: schema('ProblemDetails') },
            required: ['entityId', 'error'],
          },
        },
      },
      required: ['success', 'errors'],
    },
    EntitySelector: {
      type: 'object',
      description: 'Selects entities by id, idPattern and/or type (type selection syntax as for the type parameter).',
      properties: { id: schema('EntityId'), idPattern: { type: 'string', description: 'Regular expression over entity ids.' }, type: { type: 'string' } },
    },
    GeoQuery: {
      type: 'object',
      description: 'A geo-query: georel, geometry and coordinates together.',
      properties: {
        georel: { type: 'string', examples: ['near;maxDistance==2000', 'within'] },
        geometry: { type: 'string', enum: ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'] },
        coordinates: { description: 'The coordinates of the geometry: a JSON array, or its text.', oneOf: [{ type: 'array' }, { type: 'string' }] },
        geoproperty: { type: 'string', default: 'location' },
      },
      required: ['georel', 'geometry', 'coordinates'],
    },
    Query: {
      type: 'object',
      description: 'The body of POST /entityOperations/query. At least one of entities, attrs, q, geoQ or scopeQ is needed (or local=true).',
      properties: {
        type: { type: 'string', const: 'Query' },
        entities: { type: 'array', items: schema('EntitySelector'), minItems: 1, description: 'Selectors, any of which may match.' },
        attrs: { oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }], description: 'Attribute names (an entity must have one of them; only these are returned).' },
        q: { type: 'string', description: 'Query language filter (as the q parameter).' },
        scopeQ: { type: 'string', description: 'Scope filter (as the scopeQ parameter).' },
        geoQ: schema('GeoQuery'),
        lang: { type: 'string' },
        '@context': schema('LdContext'),
      },
    },
    EntityTypeList: {
      type: 'object',
      properties: {
        id: { ...uri, description: 'urn:ngsi-ld:EntityTypeList:<uuid>' },
        type: { type: 'string', const: 'EntityTypeList' },
        typeList: { type: 'array', items: { type: 'string' }, description: 'Entity types, compacted with the @context.' },
        '@context': schema('LdContext'),
      },
      required: ['id', 'type', 'typeList'],
    },
    EntityType: {
      type: 'object',
      properties: {
        id: { ...uri, description: 'The expanded type IRI.' },
        type: { type: 'string', const: 'EntityType' },
        typeName: { type: 'string' },
        attributeNames: { type: 'array', items: { type: 'string' } },
      },
      required: ['id', 'type', 'typeName', 'attributeNames'],
    },
    EntityTypeInfo: {
      type: 'object',
      properties: {
        id: { ...uri, description: 'The expanded type IRI.' },
        type: { type: 'string', const: 'EntityTypeInfo' },
        typeName: { type: 'string' },
        entityCount: { type: 'integer', minimum: 0 },
        attributeDetails: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { ...uri, description: 'The expanded attribute name.' },
              type: { type: 'string', const: 'Attribute' },
              attributeName: { type: 'string' },
              attributeTypes: { type: 'array', items: schema('AttributeKind') },
            },
            required: ['id', 'type', 'attributeName', 'attributeTypes'],
          },
        },
        '@context': schema('LdContext'),
      },
      required: ['id', 'type', 'typeName', 'entityCount', 'attributeDetails'],
    },
    AttributeKind: { type: 'string', enum: ['Property', 'Relationship', 'GeoProperty', 'LanguageProperty', 'VocabProperty', 'JsonProperty', 'ListProperty', 'ListRelationship'] },
    AttributeList: {
      type: 'object',
      properties: {
        id: { ...uri, description: 'urn:ngsi-ld:AttributeList:<uuid>' },
        type: { type: 'string', const: 'AttributeList' },
        attributeList: { type: 'array', items: { type: 'string' }, description: 'Attribute names, compacted with the @context.' },
        '@context': schema('LdContext'),
      },
      required: ['id', 'type', 'attributeList'],
    },
    Attribute: {
      type: 'object',
      description: 'What is known about one attribute name across the entities of the tenant.',
      properties: {
        id: { ...uri, description: 'The expanded attribute name.' },
        type: { type: 'string', const: 'Attribute' },
        attributeName: { type: 'string' },
        attributeCount: { type: 'integer', minimum: 0, description: 'How many attribute instances have this name.' },
        attributeTypes: { type: 'array', items: schema('AttributeKind') },
        typeNames: { type: 'array', items: { type: 'string' }, description: 'Types of the entities that have it.' },
        '@context': schema('LdContext'),
      },
      required: ['id', 'type', 'attributeName', 'attributeCount', 'attributeTypes', 'typeNames'],
    },
    ContextDocument: {
      type: 'object',
      description: 'A JSON-LD document with an @context member.',
      properties: { '@context': schema('LdContext') },
      required: ['@context'],
    },
    ContextInfo: {
      type: 'object',
      description: 'A registered (Hosted) or preloaded (Cached) @context.',
      properties: {
        id: { type: 'string', description: 'Local id of a Hosted context; the URL of a Cached one.' },
        url: uri,
        localId: { type: 'string' },
        kind: { type: 'string', enum: ['Hosted', 'Cached', 'ImplicitlyCreated'] },
        createdAt: dateTime,
        lastUsage: dateTime,
        numberOfHits: { type: 'integer', minimum: 0 },
      },
      required: ['id', 'url', 'kind'],
    },
    Health: {
      type: 'object',
      properties: {
        status: { type: 'string', const: 'ok' },
        version: { type: 'string' },
        uptimeSeconds: { type: 'integer', minimum: 0 },
      },
      required: ['status', 'version', 'uptimeSeconds'],
    },
    Readiness: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ready', 'store unreachable'] } },
      required: ['status'],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

const pathParam = (name: string, description: string, extra: Json = {}): Json => ({ name, in: 'path', required: true, description, schema: { type: 'string', ...extra } });
const queryParam = (name: string, description: string, s: Json, extra: Json = {}): Json => ({ name, in: 'query', required: false, description, schema: s, ...extra });
const csv = (items: Json = { type: 'string' }): Json => ({ type: 'array', items });
const listStyle = { style: 'form', explode: false };

function parameters(): Record<string, Json> {
  return {
    Tenant: {
      name: 'NGSILD-Tenant',
      in: 'header',
      required: false,
      description:
        'The tenant (1-64 letters, digits, _ . - : /); the default tenant when absent. Writes create a tenant on first use; ' +
        'reads of a tenant that does not exist fail with 404 NonexistentTenant; a malformed name is 400 BadRequestData.',
      schema: { type: 'string', pattern: '^[A-Za-z0-9_.\\-:/]{1,64}$' },
    },
    Link: {
      name: 'Link',
      in: 'header',
      required: false,
      description:
        `The @context of the request as a link with rel="${LINK_REL}" (at most one), for application/json bodies and for GET/DELETE. ` +
        `Without it, only the core context (${CORE_CONTEXT}) applies. Ignored for application/ld+json bodies, which carry their @context.`,
      schema: { type: 'string' },
      example: `<https://example.org/context.jsonld>; rel="${LINK_REL}"; type="application/ld+json"`,
    },
    EntityId: pathParam('entityId', 'Id of the entity (a URI, percent-encoded in the path).', { format: 'uri' }),
    AttrId: pathParam('attrId', 'Name of the attribute (a term of the @context, or an IRI, percent-encoded).'),
    TypeName: pathParam('type', 'Name of the entity type (a term of the @context, or an IRI, percent-encoded).'),
    AttributeName: pathParam('attrId', 'Name of the attribute (a term of the @context, or an IRI, percent-encoded).'),
    ContextId: pathParam('contextId', 'Local id of a registered context, or the (percent-encoded) URL of a registered or preloaded context.'),

    id: queryParam('id', 'Comma-separated entity ids (URIs) to select.', csv(uri), listStyle),
    type: queryParam(
      'type',
      'Entity type selection: type names, "," or "|" for either, ";" for all of, parentheses for grouping (for example Vehicle,Bus or (A;B)|C). ' +
        'On GET /entities/{entityId} the entity must have a matching type, else 404.',
      { type: 'string' },
    ),
    idPattern: queryParam('idPattern', 'Regular expression entity ids must match (checked for safety).', { type: 'string' }),
    attrs: queryParam('attrs', 'Comma-separated attribute names: selects entities that have at least one of them and returns only these attributes.', csv(), listStyle),
    attrsProjection: queryParam('attrs', 'Comma-separated attribute names: only these attributes are returned.', csv(), listStyle),
    pick: queryParam('pick', 'Comma-separated members to keep (attribute names, id, type); not together with omit.', csv(), listStyle),
    omit: queryParam('omit', 'Comma-separated members to leave out (attribute names, id, type); not together with pick.', csv(), listStyle),
    q: queryParam(
      'q',
      'NGSI-LD query language filter over attribute values (clause 4.9): comparisons ==, !=, >, >=, <, <=, ~= (pattern), !~=, ranges a==1..5, ' +
        'lists a==1,2, ";" for and, "|" for or, parentheses, attribute paths (a.sub, a[key], a.observedAt). Longer than 4000 characters or nested too deep: 403 TooComplexQuery.',
      { type: 'string' },
      { examples: { simple: { value: 'temperature>20;status=="open"' } } },
    ),
    scopeQ: queryParam('scopeQ', 'Scope filter (clause 4.19): /Madrid/Gardens exactly, /Madrid/# with descendants, /# any scope, + for one level; ";" and, "," or "|" or.', { type: 'string' }),
    georel: queryParam('georel', 'Geo relation: near;maxDistance==<metres>, near;minDistance==<metres>, within, contains, intersects, equals, disjoint, overlaps. Needs geometry and coordinates.', { type: 'string' }),
    geometry: queryParam('geometry', 'Type of the reference geometry of a geo-query.', { type: 'string', enum: ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'] }),
    coordinates: queryParam('coordinates', 'Coordinates of the reference geometry as JSON array text, longitude first (for example [8.684,49.406]).', { type: 'string' }),
    geoproperty: queryParam('geoproperty', 'The GeoProperty the geo-query tests.', { type: 'string', default: 'location' }),
    geometryProperty: queryParam('geometryProperty', 'For application/geo+json: the GeoProperty used as the geometry of each Feature.', { type: 'string', default: 'location' }),
    lang: queryParam('lang', 'Language(s) for LanguageProperties (for example en, or de,en;q=0.5, or * for all): each is returned as a Property with the best matching string and lang.', { type: 'string' }),
    limit: queryParam('limit', `Page size: at most this many entities (default ${DEFAULT_LIMIT}, maximum ${MAX_LIMIT}: above, 403 TooManyResults). 0 only together with count=true.`, {
      type: 'integer',
      minimum: 0,
      maximum: MAX_LIMIT,
      default: DEFAULT_LIMIT,
    }),
    offset: queryParam('offset', 'Skip this many matching entities.', { type: 'integer', minimum: 0, default: 0 }),
    count: queryParam('count', 'Return the total number of matching entities in the NGSILD-Results-Count header.', { type: 'boolean', default: false }),
    options: queryParam(
      'options',
      'Comma-separated representation options: keyValues (or simplified), concise, normalized (only one of these), sysAttrs (include createdAt/modifiedAt).',
      csv({ type: 'string', enum: ['keyValues', 'simplified', 'concise', 'normalized', 'sysAttrs'] }),
      listStyle,
    ),
    format: queryParam('format', 'Representation: normalized (default), concise, keyValues or simplified; must agree with options.', { type: 'string', enum: ['normalized', 'concise', 'keyValues', 'simplified'] }),
    local: queryParam('local', 'local=true allows a query without any other selection (every entity of the tenant).', { type: 'boolean', default: false }),
    details: queryParam('details', 'true: full descriptions instead of a list of names.', { type: 'boolean', default: false }),
    optionsNoOverwrite: queryParam('options', 'noOverwrite: attributes that already exist are left unchanged (and reported as not updated).', csv({ type: 'string', enum: ['noOverwrite'] }), listStyle),
    optionsUpsert: queryParam(
      'options',
      'replace (default): an existing entity is replaced by the given one; update: the given attributes are added to or overwrite those of the existing entity. Not both.',
      csv({ type: 'string', enum: ['replace', 'update'] }),
      listStyle,
    ),
    datasetId: queryParam('datasetId', 'Delete only the instance with this datasetId (default: the instance without datasetId).', uri),
    deleteAll: queryParam('deleteAll', 'true: delete every instance of the attribute.', { type: 'boolean', default: false }),
    contextKind: queryParam('kind', 'List only contexts of this kind.', { type: 'string', enum: ['Hosted', 'Cached', 'ImplicitlyCreated'] }),
  };
}

// ---------------------------------------------------------------------------------------------
// Responses and headers
// ---------------------------------------------------------------------------------------------

function headers(): Record<string, Json> {
  return {
    Location: { description: 'Path (or URL) of the created resource.', schema: { type: 'string' } },
    Link: {
      description: `For application/json and application/geo+json responses: the @context the terms are compacted with, as a link with rel="${LINK_REL}" (the core context when the request had none).`,
      schema: { type: 'string' },
    },
    ResultsCount: { description: 'With count=true: the total number of matching entities (not only those on this page).', schema: { type: 'integer', minimum: 0 } },
  };
}

/** An error response: ProblemDetails with one example per NGSI-LD error type it may carry. */
function problem(description: string, types: ErrorType[]): Json {
  const examples: Json = {};
  for (const t of types) {
    examples[t] = { summary: `${t} (${ErrorTypes[t]})`, value: new NgsiError(t, description).toProblem() };
  }
  return {
    description: `${types.join(' or ')}: ${description}.`,
    content: { [JSON_TYPE]: { schema: schema('ProblemDetails'), examples } },
  };
}

function responses(): Record<string, Json> {
  return {
    BadRequest: problem('The request is malformed: invalid parameters, an invalid entity or attribute, a bad @context or NGSILD-Tenant, a body over the size limit (BadRequestData); a body that is not JSON (InvalidRequest)', ['BadRequestData', 'InvalidRequest']),
    Forbidden: problem('The query is too complex (q, type or scopeQ too long or nested too deep) or asks for too many results (limit over the maximum)', ['TooComplexQuery', 'TooManyResults']),
    NotFound: problem('The entity (or attribute) does not exist, or the tenant does not exist', ['ResourceNotFound', 'NonexistentTenant']),
    TenantNotFound: problem('The tenant named by NGSILD-Tenant does not exist', ['NonexistentTenant']),
    TypeNotFound: problem('No entity has this type, or the tenant does not exist', ['ResourceNotFound', 'NonexistentTenant']),
    AttributeNotFound: problem('No entity has this attribute, or the tenant does not exist', ['ResourceNotFound', 'NonexistentTenant']),
    ContextNotFound: problem('No context with this id or URL is known', ['ResourceNotFound']),
    NotAcceptable: problem('None of the media types in Accept can be produced', ['NotAcceptable']),
    Conflict: problem('An entity with this id already exists', ['AlreadyExists']),
    UnsupportedMediaType: problem('The Content-Type of the body is not supported (application/json or application/ld+json)', ['UnsupportedMediaType']),
    InternalError: problem('An unexpected error; it is logged by the server', ['InternalError']),
    ContextNotAvailable: problem('A @context URL could not be retrieved (not preloaded, not registered, and remote contexts disabled or unreachable)', ['LdContextNotAvailable']),
    NoContent: { description: 'Done; no body.' },
    UpdateResult: {
      description: 'Some attributes were not appended or updated; the others were.',
      content: { [JSON_TYPE]: { schema: schema('UpdateResult') } },
    },
    BatchResult: {
      description: 'Some entities failed; the others succeeded (each entity is processed on its own).',
      content: { [JSON_TYPE]: { schema: schema('BatchOperationResult') } },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

interface OpSpec {
  id: string;
  tag: string;
  summary: string;
  description: string;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
}

function operation(o: OpSpec): Json {
  const out: Json = { operationId: o.id, tags: [o.tag], summary: o.summary, description: o.description };
  if (o.parameters && o.parameters.length > 0) out.parameters = o.parameters;
  if (o.requestBody) out.requestBody = o.requestBody;
  out.responses = o.responses;
  return out;
}

/** A request body in application/json and application/ld+json (and more media types if given). */
function body(description: string, jsonSchema: Json, ldSchema: Json, more: Record<string, Json> = {}): Json {
  return {
    required: true,
    description,
    content: { [JSON_TYPE]: { schema: jsonSchema }, [JSON_LD]: { schema: ldSchema }, ...more },
  };
}

/** The 200 response of an operation answering in JSON-LD data (negotiated with Accept). */
function negotiated(description: string, s: Json, opts: { geo?: Json; count?: boolean } = {}): Json {
  const content: Json = {
    [JSON_TYPE]: { schema: s },
    [JSON_LD]: { schema: s },
  };
  if (opts.geo) content[GEO_JSON] = { schema: opts.geo };
  const hdrs: Json = { Link: header('Link') };
  if (opts.count) hdrs['NGSILD-Results-Count'] = header('ResultsCount');
  return {
    description:
      `${description} Chosen by Accept: application/json (default; @context in the Link header), application/ld+json (@context in the body)` +
      (opts.geo ? ', or application/geo+json (GeoJSON).' : '.'),
    headers: hdrs,
    content,
  };
}

const errors = {
  400: response('BadRequest'),
  403: response('Forbidden'),
  404: response('NotFound'),
  406: response('NotAcceptable'),
  409: response('Conflict'),
  415: response('UnsupportedMediaType'),
  500: response('InternalError'),
  503: response('ContextNotAvailable'),
};

const TENANT = param('Tenant');
const LINK = param('Link');
const ENTITY_ID = param('EntityId');
const ATTR_ID = param('AttrId');

const queryParams = ['id', 'type', 'idPattern', 'attrs', 'pick', 'omit', 'q', 'scopeQ', 'georel', 'geometry', 'coordinates', 'geoproperty', 'geometryProperty', 'lang', 'limit', 'offset', 'count', 'options', 'format', 'local'].map(param);
const retrieveParams = ['type', 'attrsProjection', 'pick', 'omit', 'options', 'format', 'lang', 'geometryProperty'].map(param);
const batchQueryParams = ['limit', 'offset', 'count', 'options', 'format', 'pick', 'omit', 'lang', 'local'].map(param);

const CONTEXT_RULE =
  'The terms of the body are read with its @context: the @context member for application/ld+json (required), the Link header for application/json (a body @context is then an error).';

function paths(): Record<string, Record<string, Json>> {
  const e = `${API}/entities`;
  const b = `${API}/entityOperations`;
  return {
    '/health': {
      get: operation({
        id: 'getHealth',
        tag: TAGS.operations,
        summary: 'Liveness',
        description: 'Answers while the process runs: status ok, the Urbis version and the uptime.',
        responses: { 200: { description: 'The server is alive.', content: { [JSON_TYPE]: { schema: schema('Health') } } } },
      }),
    },
    '/ready': {
      get: operation({
        id: 'getReadiness',
        tag: TAGS.operations,
        summary: 'Readiness',
        description: 'Checks that the store answers. 200 when it does, 503 (with status "store unreachable", not a ProblemDetails) when it does not.',
        responses: {
          200: { description: 'Ready to serve requests.', content: { [JSON_TYPE]: { schema: schema('Readiness') } } },
          503: { description: 'The store does not answer.', content: { [JSON_TYPE]: { schema: schema('Readiness') } } },
        },
      }),
    },
    '/openapi.json': {
      get: operation({
        id: 'getOpenApiDocument',
        tag: TAGS.operations,
        summary: 'This OpenAPI document',
        description: 'The OpenAPI 3.1 description of every operation the server offers.',
        responses: { 200: { description: 'The OpenAPI document.', content: { [JSON_TYPE]: { schema: { type: 'object' } } } } },
      }),
    },
    '/docs': {
      get: operation({
        id: 'getDocsPage',
        tag: TAGS.operations,
        summary: 'API reference page',
        description: 'A self-contained HTML page (no scripts, no external resources) generated from this OpenAPI document. /docs/ serves the same page.',
        responses: { 200: { description: 'The HTML reference page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      }),
    },

    // ---- Entities ----
    [e]: {
      post: operation({
        id: 'createEntity',
        tag: TAGS.entities,
        summary: 'Create an entity',
        description:
          `Creates an entity (clause 5.6.1). id and type are required; attributes may be normalized or concise. ${CONTEXT_RULE} ` +
          'The tenant is created if it does not exist. Answers 201 with the path of the new entity in Location.',
        parameters: [TENANT, LINK],
        requestBody: body('The entity to create.', schema('NewEntity'), schema('NewEntityLd')),
        responses: {
          201: { description: 'Created.', headers: { Location: header('Location') } },
          400: errors[400],
          409: errors[409],
          415: errors[415],
          500: errors[500],
          503: errors[503],
        },
      }),
      get: operation({
        id: 'queryEntities',
        tag: TAGS.entities,
        summary: 'Query entities',
        description:
          'Returns the entities matching all the given conditions (clause 5.7.2), a page at a time (limit, offset), in the normalized, concise or keyValues ' +
          'representation, optionally as GeoJSON. At least one of id, type, idPattern, attrs, q, a geo-query or scopeQ is needed, or local=true; ' +
          'otherwise 400. Attribute and type names are expanded with the @context of the Link header.',
        parameters: [TENANT, LINK, ...queryParams],
        responses: {
          200: negotiated('The matching entities.', schema('EntityList'), { geo: schema('FeatureCollection'), count: true }),
          400: errors[400],
          403: errors[403],
          404: response('TenantNotFound'),
          406: errors[406],
          500: errors[500],
          503: errors[503],
        },
      }),
    },
    [`${e}/{entityId}`]: {
      get: operation({
        id: 'retrieveEntity',
        tag: TAGS.entities,
        summary: 'Retrieve an entity',
        description:
          'Returns one entity (clause 5.7.1) in the requested representation, optionally only some attributes (attrs, pick, omit) or as a GeoJSON Feature. ' +
          'With type, the entity must have a matching type.',
        parameters: [ENTITY_ID, TENANT, LINK, ...retrieveParams],
        responses: {
          200: negotiated('The entity.', schema('Entity'), { geo: schema('Feature') }),
          400: errors[400],
          404: errors[404],
          406: errors[406],
          500: errors[500],
          503: errors[503],
        },
      }),
      put: operation({
        id: 'replaceEntity',
        tag: TAGS.entities,
        summary: 'Replace an entity',
        description:
          `Replaces every attribute (and the type and scope) of an existing entity (clause 5.6.18); id and createdAt stay. A type is required; an id in the body must equal the path's. ${CONTEXT_RULE}`,
        parameters: [ENTITY_ID, TENANT, LINK],
        requestBody: body('The new content of the entity.', schema('Entity'), schema('EntityLd')),
        responses: { 204: response('NoContent'), 400: errors[400], 404: errors[404], 415: errors[415], 500: errors[500], 503: errors[503] },
      }),
      patch: operation({
        id: 'mergeEntity',
        tag: TAGS.entities,
        summary: 'Merge into an entity',
        description:
          'Merges the given attributes into an existing entity (clause 5.6.17): new attributes are added, existing ones are merged; ' +
          `the value "urn:ngsi-ld:null" deletes an attribute. ${CONTEXT_RULE} application/merge-patch+json is read like application/json.`,
        parameters: [ENTITY_ID, TENANT, LINK],
        requestBody: body('The entity fragment to merge.', schema('Entity'), schema('EntityLd'), { [MERGE_PATCH]: { schema: schema('Entity') } }),
        responses: { 204: response('NoContent'), 400: errors[400], 404: errors[404], 415: errors[415], 500: errors[500], 503: errors[503] },
      }),
      delete: operation({
        id: 'deleteEntity',
        tag: TAGS.entities,
        summary: 'Delete an entity',
        description: 'Deletes the entity and all its attributes (clause 5.6.6).',
        parameters: [ENTITY_ID, TENANT],
        responses: { 204: response('NoContent'), 400: errors[400], 404: errors[404], 500: errors[500] },
      }),
    },
    [`${e}/{entityId}/attrs`]: {
      post: operation({
        id: 'appendAttrs',
        tag: TAGS.entities,
        summary: 'Append attributes',
        description:
          'Adds attributes to an entity (clause 5.6.3); existing attributes (same name and datasetId) are overwritten unless options=noOverwrite. ' +
          `A type in the body is added to the entity's types. ${CONTEXT_RULE} 204 when every attribute was appended, 207 with an UpdateResult otherwise.`,
        parameters: [ENTITY_ID, TENANT, LINK, param('optionsNoOverwrite')],
        requestBody: body('An entity fragment with the attributes to append.', schema('Entity'), schema('EntityLd')),
        responses: { 204: response('NoContent'), 207: response('UpdateResult'), 400: errors[400], 404: errors[404], 415: errors[415], 500: errors[500], 503: errors[503] },
      }),
      patch: operation({
        id: 'updateAttrs',
        tag: TAGS.entities,
        summary: 'Update attributes',
        description:
          'Updates attributes that already exist (clause 5.6.2); attributes the entity does not have are reported as not updated. ' +
          `${CONTEXT_RULE} 204 when every attribute was updated, 207 with an UpdateResult otherwise.`,
        parameters: [ENTITY_ID, TENANT, LINK],
        requestBody: body('An entity fragment with the attributes to update.', schema('Entity'), schema('EntityLd')),
        responses: { 204: response('NoContent'), 207: response('UpdateResult'), 400: errors[400], 404: errors[404], 415: errors[415], 500: errors[500], 503: errors[503] },
      }),
    },
    [`${e}/{entityId}/attrs/{attrId}`]: {
      patch: operation({
        id: 'partialAttrUpdate',
        tag: TAGS.entities,
        summary: 'Partially update an attribute',
        description:
          'Changes the given members of one attribute instance (clause 5.6.4), chosen by the datasetId in the body (the default instance without it). ' +
          `${CONTEXT_RULE} 404 when the entity or the attribute instance does not exist.`,
        parameters: [ENTITY_ID, ATTR_ID, TENANT, LINK],
        requestBody: body('The attribute fragment.', schema('AttributeInstance'), {
          allOf: [schema('AttributeInstance'), { type: 'object', properties: { '@context': schema('LdContext') }, required: ['@context'] }],
        }),
        responses: { 204: response('NoContent'), 400: errors[400], 404: errors[404], 415: errors[415], 500: errors[500], 503: errors[503] },
      }),
      delete: operation({
        id: 'deleteAttr',
        tag: TAGS.entities,
        summary: 'Delete an attribute',
        description:
          'Deletes the default instance of an attribute, the instance with datasetId, or every instance with deleteAll=true (clause 5.6.5). ' +
          'The attribute name is expanded with the @context of the Link header.',
        parameters: [ENTITY_ID, ATTR_ID, TENANT, LINK, param('datasetId'), param('deleteAll')],
        responses: { 204: response('NoContent'), 400: errors[400], 404: errors[404], 500: errors[500], 503: errors[503] },
      }),
    },

    // ---- Batch operations ----
    [`${b}/create`]: {
      post: operation({
        id: 'batchEntityCreate',
        tag: TAGS.batch,
        summary: 'Create entities in a batch',
        description:
          `Creates each entity of the array on its own (clause 5.6.7); 1 to ${MAX_BATCH} entities. With application/ld+json every entity carries its own @context; ` +
          'with application/json the Link header applies to all and no entity may carry @context. 201 with the ids when all were created, 207 otherwise.',
        parameters: [TENANT, LINK],
        requestBody: body('The entities to create.', { type: 'array', items: schema('NewEntity'), minItems: 1, maxItems: MAX_BATCH }, {
          type: 'array',
          items: schema('NewEntityLd'),
          minItems: 1,
          maxItems: MAX_BATCH,
        }),
        responses: {
          201: { description: 'Every entity was created.', content: { [JSON_TYPE]: { schema: schema('BatchEntityIdList') } } },
          207: response('BatchResult'),
          400: errors[400],
          415: errors[415],
          500: errors[500],
          503: errors[503],
        },
      }),
    },
    [`${b}/upsert`]: {
      post: operation({
        id: 'batchEntityUpsert',
        tag: TAGS.batch,
        summary: 'Create or replace/update entities in a batch',
        description:
          `Creates the entities that do not exist and replaces (options=replace, default) or updates (options=update) those that do (clause 5.6.8); 1 to ${MAX_BATCH} entities. ` +
          '201 with the ids of the created entities when some were created, 204 when all existed, 207 when some failed.',
        parameters: [TENANT, LINK, param('optionsUpsert')],
        requestBody: body('The entities.', { type: 'array', items: schema('NewEntity'), minItems: 1, maxItems: MAX_BATCH }, {
          type: 'array',
          items: schema('NewEntityLd'),
          minItems: 1,
          maxItems: MAX_BATCH,
        }),
        responses: {
          201: { description: 'All succeeded and some entities were created: their ids.', content: { [JSON_TYPE]: { schema: schema('BatchEntityIdList') } } },
          204: { description: 'All succeeded; every entity already existed.' },
          207: response('BatchResult'),
          400: errors[400],
          415: errors[415],
          500: errors[500],
          503: errors[503],
        },
      }),
    },
    [`${b}/update`]: {
      post: operation({
        id: 'batchEntityUpdate',
        tag: TAGS.batch,
        summary: 'Update entities in a batch',
        description:
          `Appends the attributes of each entity to the existing entity with its id (clause 5.6.9); 1 to ${MAX_BATCH} entities. With options=noOverwrite existing attributes are kept, ` +
          'and an entity with attributes not updated counts as failed. 204 when all succeeded, 207 otherwise.',
        parameters: [TENANT, LINK, param('optionsNoOverwrite')],
        requestBody: body('Entity fragments, each with its id.', { type: 'array', items: schema('Entity'), minItems: 1, maxItems: MAX_BATCH }, {
          type: 'array',
          items: schema('EntityLd'),
          minItems: 1,
          maxItems: MAX_BATCH,
        }),
        responses: { 204: response('NoContent'), 207: response('BatchResult'), 400: errors[400], 415: errors[415], 500: errors[500], 503: errors[503] },
      }),
    },
    [`${b}/delete`]: {
      post: operation({
        id: 'batchEntityDelete',
        tag: TAGS.batch,
        summary: 'Delete entities in a batch',
        description: 'Deletes each entity whose id is in the array (clause 5.6.10). 204 when all were deleted, 207 otherwise (for example ids that do not exist).',
        parameters: [TENANT],
        requestBody: {
          required: true,
          description: 'The ids of the entities to delete.',
          content: { [JSON_TYPE]: { schema: { type: 'array', items: schema('EntityId') } }, [JSON_LD]: { schema: { type: 'array', items: schema('EntityId') } } },
        },
        responses: { 204: response('NoContent'), 207: response('BatchResult'), 400: errors[400], 404: response('TenantNotFound'), 415: errors[415], 500: errors[500] },
      }),
    },
    [`${b}/query`]: {
      post: operation({
        id: 'queryBatch',
        tag: TAGS.batch,
        summary: 'Query entities with a Query body',
        description:
          'The same query as GET /entities, its conditions given in a Query body (clause 5.7.2, POST variant): entities, attrs, q, scopeQ, geoQ, lang. ' +
          'Paging and representation come from the query parameters. Answers 200 with the entities (application/json or application/ld+json).',
        parameters: [TENANT, LINK, ...batchQueryParams],
        requestBody: body('The query.', schema('Query'), { allOf: [schema('Query'), { required: ['@context'] }] }),
        responses: {
          200: negotiated('The matching entities.', schema('EntityList'), { count: true }),
          400: errors[400],
          403: errors[403],
          404: response('TenantNotFound'),
          406: errors[406],
          415: errors[415],
          500: errors[500],
          503: errors[503],
        },
      }),
    },

    // ---- Discovery ----
    [`${API}/types`]: {
      get: operation({
        id: 'retrieveEntityTypes',
        tag: TAGS.discovery,
        summary: 'List entity types',
        description: 'The entity types of the tenant (clause 5.7.5): an EntityTypeList of names, or with details=true an array of EntityType with attribute names. Names are compacted with the @context of the Link header.',
        parameters: [TENANT, LINK, param('details')],
        responses: {
          200: negotiated('The entity types.', { oneOf: [schema('EntityTypeList'), { type: 'array', items: schema('EntityType') }] }),
          400: errors[400],
          404: response('TenantNotFound'),
          406: errors[406],
          500: errors[500],
          503: errors[503],
        },
      }),
    },
    [`${API}/types/{type}`]: {
      get: operation({
        id: 'retrieveEntityTypeInfo',
        tag: TAGS.discovery,
        summary: 'Describe an entity type',
        description: 'How many entities have the type, and their attributes with their kinds (clause 5.7.7).',
        parameters: [param('TypeName'), TENANT, LINK],
        responses: {
          200: negotiated('The entity type information.', schema('EntityTypeInfo')),
          400: errors[400],
          404: response('TypeNotFound'),
          406: errors[406],
          500: errors[500],
          503: errors[503],
        },
      }),
    },
    [`${API}/attributes`]: {
      get: operation({
        id: 'retrieveAttributes',
        tag: TAGS.discovery,
        summary: 'List attributes',
        description: 'The attribute names used by the entities of the tenant (clause 5.7.8): an AttributeList, or with details=true an array of Attribute.',
        parameters: [TENANT, LINK, param('details')],
        responses: {
          200: negotiated('The attributes.', { oneOf: [schema('AttributeList'), { type: 'array', items: schema('Attribute') }] }),
          400: errors[400],
          404: response('TenantNotFound'),
          406: errors[406],
          500: errors[500],
          503: errors[503],
        },
      }),
    },
    [`${API}/attributes/{attrId}`]: {
      get: operation({
        id: 'retrieveAttributeTypeInfo',
        tag: TAGS.discovery,
        summary: 'Describe an attribute',
        description: 'How many instances of the attribute exist, its kinds and the types of the entities that have it (clause 5.7.10).',
        parameters: [param('AttributeName'), TENANT, LINK],
        responses: {
          200: negotiated('The attribute information.', schema('Attribute')),
          400: errors[400],
          404: response('AttributeNotFound'),
          406: errors[406],
          500: errors[500],
          503: errors[503],
        },
      }),
    },

    // ---- JSON-LD contexts ----
    [`${API}/jsonldContexts`]: {
      post: operation({
        id: 'addContext',
        tag: TAGS.contexts,
        summary: 'Register a @context',
        description:
          'Stores a @context for the tenant (clause 5.13.2) and serves it at /ngsi-ld/v1/jsonldContexts/{id}; requests of the tenant that name that URL use it without fetching. ' +
          'Answers 201 with the URL in Location.',
        parameters: [TENANT],
        requestBody: {
          required: true,
          description: 'A JSON-LD document with an @context member.',
          content: { [JSON_TYPE]: { schema: schema('ContextDocument') }, [JSON_LD]: { schema: schema('ContextDocument') } },
        },
        responses: { 201: { description: 'Registered.', headers: { Location: header('Location') } }, 400: errors[400], 415: errors[415], 500: errors[500] },
      }),
      get: operation({
        id: 'listContexts',
        tag: TAGS.contexts,
        summary: 'List @contexts',
        description: 'The registered (Hosted) contexts of the tenant and the preloaded (Cached) ones (clause 5.13.3): their URLs, or with details=true their descriptions.',
        parameters: [TENANT, param('details'), param('contextKind')],
        responses: {
          200: {
            description: 'The contexts.',
            content: { [JSON_TYPE]: { schema: { oneOf: [{ type: 'array', items: uri }, { type: 'array', items: schema('ContextInfo') }] } } },
          },
          400: errors[400],
          500: errors[500],
        },
      }),
    },
    [`${API}/jsonldContexts/{contextId}`]: {
      get: operation({
        id: 'serveContext',
        tag: TAGS.contexts,
        summary: 'Get a @context',
        description: 'The context document (application/ld+json), or with details=true its description (application/json) (clause 5.13.4).',
        parameters: [param('ContextId'), TENANT, param('details')],
        responses: {
          200: {
            description: 'The context document, or its description with details=true.',
            content: { [JSON_LD]: { schema: schema('ContextDocument') }, [JSON_TYPE]: { schema: schema('ContextInfo') } },
          },
          400: errors[400],
          404: response('ContextNotFound'),
          500: errors[500],
        },
      }),
      delete: operation({
        id: 'deleteContext',
        tag: TAGS.contexts,
        summary: 'Delete a @context',
        description: 'Deletes a registered context (clause 5.13.5); preloaded contexts cannot be deleted (400).',
        parameters: [param('ContextId'), TENANT],
        responses: { 204: response('NoContent'), 400: errors[400], 404: response('ContextNotFound'), 500: errors[500] },
      }),
    },
  };
}

// ---------------------------------------------------------------------------------------------

function build(): Json {
  const more = <K extends 'paths' | 'schemas' | 'parameters'>(k: K): Json => Object.assign({}, ...SECTIONS.map((sec) => sec[k] ?? {}));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Urbis NGSI-LD API',
      version: VERSION,
      description:
        'Urbis is an ETSI NGSI-LD context broker (ETSI GS CIM 009 v1.8/1.9). The NGSI-LD API is under /ngsi-ld/v1: entities and their attributes, ' +
        'batch operations, discovery of types and attributes, and JSON-LD @context management. Bodies are JSON: application/json with the @context ' +
        'in a Link header, or application/ld+json with the @context in the body. Tenants are chosen with the NGSILD-Tenant header. Errors are ' +
        'RFC 7807 ProblemDetails whose type is the NGSI-LD error type URI. Every GET also answers HEAD. Unknown paths answer 404 ResourceNotFound.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [
      { name: TAGS.entities, description: 'Create, retrieve, query, replace, merge and delete entities, and append, update and delete their attributes.' },
      { name: TAGS.batch, description: 'Operations on many entities in one request (/entityOperations), and queries with a Query body.' },
      { name: TAGS.discovery, description: 'Which entity types and attributes exist (/types, /attributes).' },
      { name: TAGS.contexts, description: 'Register, list, serve and delete JSON-LD @contexts (/jsonldContexts).' },
      { name: TAGS.operations, description: 'Health, readiness and this documentation.' },
      ...SECTIONS.flatMap((sec) => sec.tags),
    ],
    paths: { ...paths(), ...more('paths') },
    components: {
      schemas: { ...schemas(), ...more('schemas') },
      parameters: { ...parameters(), ...more('parameters') },
      responses: responses(),
      headers: headers(),
    },
  };
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document of the server (built on first use, then the same object). */
export function openApiDocument(): object {
  cached ??= deepFreeze(build());
  return cached;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
