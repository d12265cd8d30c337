/**
 * The OpenAPI section of subscriptions (/ngsi-ld/v1/subscriptions): paths and schemas, written
 * from routes.ts, input.ts (the members and their checks) and model.ts.
 */
import { ErrorTypes, NgsiError, type ErrorType } from '../errors.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../broker/query/query-params.js';
import type { ApiSection, Json } from '../openapi/sections.js';
import { DEFAULT_TRIGGERS, INTERNAL_SCHEME, NOTIFICATION_TRIGGERS } from './model.js';

const TAG = 'Subscriptions';
const S = '/ngsi-ld/v1/subscriptions';
const ref = (section: string, name: string) => ({ $ref: `#/components/${section}/${name}` });
const s = (name: string) => ref('schemas', name);
const p = (name: string) => ref('parameters', name);

const TENANT = p('Tenant');
const LINK = p('Link');
const SUBSCRIPTION_ID = { name: 'subscriptionId', in: 'path', required: true, description: 'The id of the subscription (a URI, percent-encoded).', schema: { type: 'string', format: 'uri' } };

/** An error response: ProblemDetails with an example per error type. */
function problem(description: string, types: ErrorType[]): Json {
  const examples: Json = {};
  for (const t of types) examples[t] = { summary: `${t} (${ErrorTypes[t]})`, value: new NgsiError(t, description).toProblem() };
  return { description: `${types.join(' or ')}: ${description}.`, content: { 'application/json': { schema: s('ProblemDetails'), examples } } };
}

const BAD_REQUEST = problem('A member is missing, unknown or invalid (the detail names it); nothing was written. A body that is not JSON is InvalidRequest', ['BadRequestData', 'InvalidRequest']);
const NOT_FOUND = problem('No subscription with this id in this tenant', ['ResourceNotFound']);
const UNSUPPORTED = problem('A member Urbis does not support (csf, temporalQ)', ['OperationNotSupported']);
const INTERNAL = problem('An unexpected error; it is logged by the server', ['InternalError']);
const NOT_ACCEPTABLE = problem('None of the media types in Accept can be produced', ['NotAcceptable']);
const CONTEXT = problem('The @context (Link, body or jsonldContext) could not be retrieved', ['LdContextNotAvailable']);
const MEDIA = problem('The Content-Type of the body is not supported (application/json or application/ld+json)', ['UnsupportedMediaType']);

const keyValue = { type: 'object', required: ['key', 'value'], properties: { key: { type: 'string' }, value: { type: 'string' } } };
const strings = { type: 'array', items: { type: 'string' }, minItems: 1 };

const schemas: Json = {
  Subscription: {
    type: 'object',
    description:
      'An NGSI-LD Subscription (clause 5.2.12). Terms (types, attribute names, q) are read with the subscription\'s @context: jsonldContext, else the request\'s (Link header or ld+json @context); it is kept to compact the notifications. ' +
      'Needs entities or watchedAttributes; timeInterval (periodic) excludes watchedAttributes, throttling and notificationTrigger.',
    required: ['type', 'notification'],
    properties: {
      id: { type: 'string', format: 'uri', description: 'Generated (urn:ngsi-ld:Subscription:<uuid>) when absent.' },
      type: { type: 'string', const: 'Subscription' },
      subscriptionName: { type: 'string' },
      description: { type: 'string' },
      entities: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          description: 'At least one of id, idPattern, type; all given must hold. An entity matches when one selector does.',
          properties: { id: { type: 'string', format: 'uri' }, idPattern: { type: 'string' }, type: { type: 'string', description: 'Entity type selection (A;B both, A|B or A,B either, parentheses).' } },
        },
      },
      watchedAttributes: { ...strings, description: 'Only changes of these attributes notify (default: any attribute).' },
      notificationTrigger: {
        type: 'array',
        items: { type: 'string', enum: NOTIFICATION_TRIGGERS },
        description: `What changes notify; default ${DEFAULT_TRIGGERS.join(' and ')}. Creating an entity creates its attributes; deleting one fires entityDeleted only; entityUpdated is any attribute created, updated or deleted.`,
      },
      timeInterval: { type: 'number', exclusiveMinimum: 0, description: 'Periodic: every timeInterval seconds the matching entities are notified, changed or not.' },
      q: { type: 'string', description: 'NGSI-LD query language, evaluated on the entity after the change (as in GET /entities).' },
      geoQ: {
        type: 'object',
        required: ['geometry', 'coordinates', 'georel'],
        properties: { geometry: { type: 'string' }, coordinates: { oneOf: [{ type: 'array' }, { type: 'string' }] }, georel: { type: 'string' }, geoproperty: { type: 'string', default: 'location' } },
      },
      scopeQ: { type: 'string' },
      lang: { type: 'string', description: 'Language(s) of LanguageProperties in notifications, or *.' },
      isActive: { type: 'boolean', default: true, description: 'false pauses the subscription (status paused): no notifications until it is true again.' },
      expiresAt: { type: 'string', format: 'date-time', description: 'After it the status is expired and nothing more is sent.' },
      throttling: { type: 'number', exclusiveMinimum: 0, description: 'Minimum seconds between two notifications; changes in between are held and sent together (never dropped).' },
      jsonldContext: { type: 'string', format: 'uri' },
      notification: s('NotificationParams'),
      status: { type: 'string', enum: ['active', 'paused', 'expired'], readOnly: true },
      createdAt: { type: 'string', format: 'date-time', readOnly: true },
      modifiedAt: { type: 'string', format: 'date-time', readOnly: true },
    },
  },
  NotificationParams: {
    type: 'object',
    required: ['endpoint'],
    properties: {
      attributes: { ...strings, description: 'Attributes each notified entity carries (default: all).' },
      format: { type: 'string', enum: ['normalized', 'concise', 'keyValues', 'simplified'], default: 'normalized' },
      showChanges: { type: 'boolean', default: false, description: 'Updated attributes carry previousValue (previousObject, previousLanguageMap, ...).' },
      sysAttrs: { type: 'boolean', default: false },
      endpoint: {
        type: 'object',
        required: ['uri'],
        properties: {
          uri: {
            type: 'string',
            format: 'uri',
            description: `http(s)://... (POST), mqtt(s)://[user:password@]host[:port]/topic (publish; body {"metadata", "body"}), or ${INTERNAL_SCHEME}<name> (an in-process receiver).`,
          },
          accept: { type: 'string', enum: ['application/json', 'application/ld+json'], default: 'application/json' },
          receiverInfo: { type: 'array', items: keyValue, description: 'Sent as HTTP headers (MQTT: metadata members).' },
          notifierInfo: { type: 'array', items: keyValue, description: 'MQTT-QoS "0" or "1"; MQTT-Version "mqtt3.1.1" (default) or "mqtt5.0".' },
        },
      },
      timesSent: { type: 'integer', readOnly: true, description: 'Delivery attempts.' },
      timesFailed: { type: 'integer', readOnly: true },
      lastNotification: { type: 'string', format: 'date-time', readOnly: true },
      lastSuccess: { type: 'string', format: 'date-time', readOnly: true },
      lastFailure: { type: 'string', format: 'date-time', readOnly: true },
      status: { type: 'string', enum: ['ok', 'failed'], readOnly: true },
    },
  },
  SubscriptionList: { type: 'array', items: s('Subscription') },
};

const json = (schema: Json) => ({ 'application/json': { schema }, 'application/ld+json': { schema } });
const body = (description: string, schema: Json) => ({ required: true, description, content: json(schema) });

export const subscriptionsSection: ApiSection = {
  tags: [
    {
      name: TAG,
      description:
        'Subscriptions and notifications (clauses 5.8, 5.2.12): changes are recorded in an outbox in the same transaction as the write, so every acknowledged write is notified, even after a crash; ' +
        'each subscription has its own durable queue, delivered in order with retries and backoff.',
    },
  ],
  schemas,
  paths: {
    [S]: {
      post: {
        operationId: 'createSubscription',
        tags: [TAG],
        summary: 'Create a subscription',
        description: 'Validates every member (nothing is written on error) and starts notifying. 201 with Location.',
        parameters: [TENANT, LINK],
        requestBody: body('The subscription.', s('Subscription')),
        responses: {
          201: { description: 'Created.', headers: { Location: ref('headers', 'Location') } },
          400: BAD_REQUEST,
          409: problem('A subscription with this id already exists', ['AlreadyExists']),
          415: MEDIA,
          422: UNSUPPORTED,
          500: INTERNAL,
          503: CONTEXT,
        },
      },
      get: {
        operationId: 'querySubscriptions',
        tags: [TAG],
        summary: 'List subscriptions',
        description: `The tenant's subscriptions, oldest first, a page at a time (limit default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}), with their status and delivery status.`,
        parameters: [TENANT, p('limit'), p('offset'), p('count')],
        responses: {
          200: { description: 'The subscriptions.', headers: { Link: ref('headers', 'Link'), 'NGSILD-Results-Count': ref('headers', 'ResultsCount') }, content: json(s('SubscriptionList')) },
          400: BAD_REQUEST,
          403: problem('limit is over the maximum', ['TooManyResults']),
          406: NOT_ACCEPTABLE,
          500: INTERNAL,
        },
      },
    },
    [`${S}/{subscriptionId}`]: {
      get: {
        operationId: 'retrieveSubscription',
        tags: [TAG],
        summary: 'Retrieve a subscription',
        description: 'The subscription with status (active, paused, expired) and the delivery status in notification (timesSent, timesFailed, lastNotification, lastSuccess, lastFailure, status).',
        parameters: [TENANT, SUBSCRIPTION_ID],
        responses: { 200: { description: 'The subscription.', headers: { Link: ref('headers', 'Link') }, content: json(s('Subscription')) }, 404: NOT_FOUND, 406: NOT_ACCEPTABLE, 500: INTERNAL },
      },
      patch: {
        operationId: 'updateSubscription',
        tags: [TAG],
        summary: 'Update a subscription',
        description: 'Merges the fragment (notification member by member; null removes an optional member) and validates the result; a @context given with it replaces the stored one.',
        parameters: [TENANT, LINK, SUBSCRIPTION_ID],
        requestBody: body('Members to change.', { type: 'object' }),
        responses: { 204: { description: 'Updated.' }, 400: BAD_REQUEST, 404: NOT_FOUND, 415: MEDIA, 422: UNSUPPORTED, 500: INTERNAL, 503: CONTEXT },
      },
      delete: {
        operationId: 'deleteSubscription',
        tags: [TAG],
        summary: 'Delete a subscription',
        description: 'Deletes the subscription and the notifications still queued for it.',
        parameters: [TENANT, SUBSCRIPTION_ID],
        responses: { 204: { description: 'Deleted.' }, 404: NOT_FOUND, 500: INTERNAL },
      },
    },
  },
};
