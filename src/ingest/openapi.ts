/**
 * OpenAPI section of the device gateway (/iot/*) and the demo city's geography (/city/*).
 */
import type { ApiSection, Json } from '../openapi/sections.js';
import { ATTRIBUTE_TYPES } from './values.js';
import { REJECTION_REASONS } from './model.js';

const TAG = 'Device gateway';
const CITY = 'Demo city';
const problem = (description: string): Json => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } } });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const tenantHeaders: Json[] = [
  { name: 'fiware-service', in: 'header', required: false, schema: { type: 'string' }, description: 'Tenant (FIWARE name); same as NGSILD-Tenant. If both are given they must agree.' },
  { name: 'NGSILD-Tenant', in: 'header', required: false, schema: { type: 'string' }, description: 'Tenant; the default tenant when absent.' },
  { name: 'fiware-servicepath', in: 'header', required: false, schema: { type: 'string', default: '/' }, description: 'Service path, kept with the group or device (lists filter by it).' },
];
const mapping: Json = {
  type: 'object',
  required: ['name'],
  properties: {
    object_id: { type: 'string', description: 'Measure name in the payload (defaults to name).' },
    name: { type: 'string', description: 'NGSI-LD attribute name (term of the jsonLdContext, or an IRI).' },
    type: { type: 'string', enum: [...ATTRIBUTE_TYPES], default: 'Property' },
    unitCode: { type: 'string', description: 'UN/CEFACT unit code (also read from metadata.unitCode.value).' },
    expression: { type: 'string', description: 'Arithmetic over the measures of the message: numbers, names, + - * / % ^, (), min max abs round floor ceil sqrt. Example: "t * 1.8 + 32".' },
  },
};
const staticAttr: Json = { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, type: { type: 'string', enum: [...ATTRIBUTE_TYPES] }, value: {}, unitCode: { type: 'string' } } };
const service: Json = {
  type: 'object',
  required: ['apikey', 'entity_type'],
  properties: {
    apikey: { type: 'string', description: 'Unique across tenants; appears in MQTT topics (no / # + or spaces).' },
    entity_type: { type: 'string' },
    resource: { type: 'string', default: '/iot/ul' },
    attributes: { type: 'array', items: mapping },
    static_attributes: { type: 'array', items: staticAttr },
    autoprovision: { type: 'boolean', default: false, description: 'Create unknown devices on their first message, and keep their unmapped measures as Properties.' },
    jsonLdContext: { type: 'string', format: 'uri', description: '@context of attribute names and types (default: the core context).' },
    observedAtAttribute: { type: 'string', description: 'Also write the observation time into this attribute (e.g. dateObserved).' },
    service: { type: 'string', readOnly: true },
    subservice: { type: 'string', readOnly: true },
  },
};
const device: Json = {
  type: 'object',
  required: ['device_id'],
  properties: {
    device_id: { type: 'string' },
    apikey: { type: 'string' },
    entity_name: { type: 'string', description: 'Entity id; when not a URI, urn:ngsi-ld:<entity_type>:<entity_name or device_id>.' },
    entity_type: { type: 'string', description: "Defaults to the service group's." },
    protocol: { type: 'string' },
    transport: { type: 'string' },
    timezone: { type: 'string' },
    attributes: { type: 'array', items: mapping },
    static_attributes: { type: 'array', items: staticAttr },
    jsonLdContext: { type: 'string', format: 'uri' },
    observedAtAttribute: { type: 'string' },
  },
};
const keyQuery: Json[] = [
  { name: 'apikey', in: 'query', required: true, schema: { type: 'string' } },
  { name: 'resource', in: 'query', required: false, schema: { type: 'string' } },
];
const ingestParams: Json[] = [
  { name: 'k', in: 'query', required: true, schema: { type: 'string' }, description: 'API key of the service group.' },
  { name: 'i', in: 'query', required: true, schema: { type: 'string' }, description: 'Device id.' },
];
const ingestResult: Json = {
  type: 'object',
  properties: {
    entityId: { type: 'string' },
    updated: { type: 'array', items: { type: 'string' } },
    dropped: { type: 'array', items: { type: 'object', properties: { measure: { type: 'string' }, reason: { type: 'string', enum: [...REJECTION_REASONS] }, detail: { type: 'string' } } } },
  },
};
const ingestResponses: Json = {
  200: { description: 'Measures written (committed); measures that could not be used are listed under dropped.', content: json(ingestResult) },
  400: problem('Malformed payload, or no usable measure (detail starts with the reason: malformedPayload, unknownAttribute, wrongValueType).'),
  404: problem('Unknown API key (unknownApiKey) or device (unknownDevice).'),
};
const page: Json[] = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 1000, default: 20 } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
];

/** Operation ids (method + path → id); each operation also gets its summary as description, and path-level parameters. */
const OPERATION_IDS: Record<string, string> = {
  'post /iot/services': 'createServiceGroups',
  'get /iot/services': 'listServiceGroups',
  'put /iot/services': 'updateServiceGroup',
  'delete /iot/services': 'deleteServiceGroup',
  'post /iot/devices': 'createDevices',
  'get /iot/devices': 'listDevices',
  'get /iot/devices/{deviceId}': 'retrieveDevice',
  'put /iot/devices/{deviceId}': 'updateDevice',
  'delete /iot/devices/{deviceId}': 'deleteDevice',
  'post /iot/ul': 'sendUltraLightMeasures',
  'post /iot/json': 'sendJsonMeasures',
  'get /iot/stats': 'getGatewayStats',
  'get /city/geography': 'getCityGeography',
};

function complete(paths: Json): Json {
  const out: Json = {};
  for (const [p, item] of Object.entries(paths)) {
    const { parameters: shared = [], ...ops } = item as Json;
    out[p] = Object.fromEntries(
      Object.entries(ops).map(([method, op]) => [
        method,
        { operationId: OPERATION_IDS[`${method} ${p}`], description: `${(op as Json).summary}.`, ...(op as Json), parameters: [...shared, ...((op as Json).parameters ?? [])] },
      ]),
    );
  }
  return out;
}

export const ingestSection: ApiSection = {
  tags: [
    { name: TAG, description: 'Provisioning (FIWARE IoT Agent shape) and ingestion of device measures: UltraLight 2.0 and JSON over HTTP and MQTT (topics /<apikey>/<deviceId>/attrs, /json/<apikey>/<deviceId>/attrs).' },
    { name: CITY, description: 'The generated demo city.' },
  ],
  paths: complete({
    '/iot/services': {
      post: { tags: [TAG], summary: 'Create service groups', parameters: tenantHeaders, requestBody: { required: true, content: json({ type: 'object', required: ['services'], properties: { services: { type: 'array', items: service } } }) }, responses: { 201: { description: 'Created.' }, 400: problem('Invalid group.'), 409: problem('API key taken.') } },
      get: { tags: [TAG], summary: 'List service groups', parameters: [...tenantHeaders, ...page, { name: 'apikey', in: 'query', schema: { type: 'string' } }, { name: 'resource', in: 'query', schema: { type: 'string' } }], responses: { 200: { description: 'Groups.', content: json({ type: 'object', properties: { count: { type: 'integer' }, services: { type: 'array', items: service } } }) } } },
      put: { tags: [TAG], summary: 'Change a service group', parameters: [...tenantHeaders, ...keyQuery], requestBody: { required: true, content: json(service) }, responses: { 204: { description: 'Changed.' }, 400: problem('Invalid fields.'), 404: problem('No such group.') } },
      delete: { tags: [TAG], summary: 'Delete a service group', parameters: [...tenantHeaders, ...keyQuery], responses: { 204: { description: 'Deleted.' }, 404: problem('No such group.') } },
    },
    '/iot/devices': {
      post: { tags: [TAG], summary: "Provision devices (creates their entities with the static attributes)", parameters: tenantHeaders, requestBody: { required: true, content: json({ type: 'object', required: ['devices'], properties: { devices: { type: 'array', items: device } } }) }, responses: { 201: { description: 'Created.' }, 400: problem('Invalid device.'), 409: problem('Device id taken.') } },
      get: { tags: [TAG], summary: 'List devices', parameters: [...tenantHeaders, ...page], responses: { 200: { description: 'Devices.', content: json({ type: 'object', properties: { count: { type: 'integer' }, devices: { type: 'array', items: device } } }) } } },
    },
    '/iot/devices/{deviceId}': {
      parameters: [{ name: 'deviceId', in: 'path', required: true, schema: { type: 'string' } }],
      get: { tags: [TAG], summary: 'Read a device', parameters: tenantHeaders, responses: { 200: { description: 'The device.', content: json(device) }, 404: problem('No such device.') } },
      put: { tags: [TAG], summary: 'Change a device', parameters: tenantHeaders, requestBody: { required: true, content: json(device) }, responses: { 204: { description: 'Changed.' }, 400: problem('Invalid fields.'), 404: problem('No such device.') } },
      delete: { tags: [TAG], summary: 'Delete a device (its entity stays)', parameters: tenantHeaders, responses: { 204: { description: 'Deleted.' }, 404: problem('No such device.') } },
    },
    '/iot/ul': { post: { tags: [TAG], summary: 'Send UltraLight 2.0 measures (t|21.5|h|40, groups separated by #, optional leading timestamp)', parameters: ingestParams, requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string' } } } }, responses: ingestResponses } },
    '/iot/json': { post: { tags: [TAG], summary: 'Send JSON measures (an object of measures with an optional TimeInstant, or an array of them)', parameters: ingestParams, requestBody: { required: true, content: json({ oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] }) }, responses: ingestResponses } },
    '/iot/stats': {
      get: {
        tags: [TAG],
        summary: 'Gateway counters: messages by transport, measures, rejections by reason, store writes, recent rejections',
        responses: { 200: { description: 'Counters since start.', content: json({ type: 'object', properties: { since: { type: 'string', format: 'date-time' }, messages: { type: 'object' }, measures: { type: 'object' }, rejected: { type: 'object', properties: Object.fromEntries(REJECTION_REASONS.map((r) => [r, { type: 'integer' }])) }, writes: { type: 'object' }, recentRejections: { type: 'array', items: { type: 'object' } } } }) } },
      },
    },
    '/city/geography': {
      get: { tags: [CITY], summary: 'The demo city as GeoJSON: districts, roads, river, gauges, parks, bus routes and stops (properties.kind)', responses: { 200: { description: 'A FeatureCollection.', content: { 'application/geo+json': { schema: { type: 'object' } } } } } },
    },
  }),
};
