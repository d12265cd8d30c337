/**
 * The OpenAPI section of the city operations centre's read API: vital signs and the live stream.
 */
import type { ApiSection } from '../openapi/sections.js';
import { APP_PATHS } from './static.js';

const TAG = 'Operations centre';

export const webSection: ApiSection = {
  tags: [{ name: TAG, description: 'Read API of the city operations centre (the web app at /). See docs/operations-centre.md.' }],
  schemas: {
    Vital: {
      type: 'object',
      properties: {
        id: { type: 'string', description: 'Indicator: airQuality, riverLevel, waterLeaks, waterConsumption, busesInService, congestedRoads, lampsFailing, smokeAlarms, parkFires' },
        domain: { type: 'string', enum: ['mobility', 'environment', 'water', 'energy', 'safety'] },
        value: { type: ['number', 'null'] },
        unit: { type: 'string' },
        state: { type: 'string', enum: ['ok', 'warning', 'alert'] },
        cause: { type: 'object', properties: { type: { type: 'string' }, attribute: { type: 'string' }, value: {} }, required: ['type'] },
        history: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, value: { type: ['number', 'null'] } } } },
      },
      required: ['id', 'domain', 'value', 'state', 'cause', 'history'],
    },
  },
  paths: {
    ...Object.fromEntries(
      APP_PATHS.map((p) => [
        p,
        {
          get: {
            operationId: `getOperationsCentre${p === '/' ? '' : p.slice(1).replace(/^./, (c) => c.toUpperCase())}`,
            tags: [TAG],
            summary: `The operations centre web app (${p})`,
            description: 'The single-page app (index.html); its client-side routes all serve the same page.',
            responses: { '200': { description: 'The app', content: { 'text/html': { schema: { type: 'string' } } } } },
          },
        },
      ]),
    ),
    '/assets/{file}': {
      get: {
        operationId: 'getOperationsCentreAsset',
        tags: [TAG],
        summary: 'A built asset of the web app',
        description: 'A script, style sheet or image of the built app, under a content-hashed name, cached for a year (immutable).',
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The asset' }, '404': { description: 'No such asset' } },
      },
    },
    '/city/map': {
      get: {
        operationId: 'getCityMapConfig',
        tags: [TAG],
        summary: 'What the map draws under the city',
        description: 'The raster tile URL template (--map-tiles) and its attribution (--map-attribution); both null when none is configured and the map shows the city geography only (offline).',
        responses: {
          '200': {
            description: 'The map configuration',
            content: { 'application/json': { schema: { type: 'object', properties: { tiles: { type: ['string', 'null'] }, attribution: { type: ['string', 'null'] } }, required: ['tiles', 'attribution'] } } },
          },
        },
      },
    },
    '/city/vitals': {
      get: {
        operationId: 'getCityVitals',
        tags: [TAG],
        summary: 'City vital signs',
        description: 'Indicators per domain computed from the current entities the caller may read, with threshold states and the samples of the last hour (one a minute).',
        responses: {
          '200': { description: 'The indicators', content: { 'application/json': { schema: { type: 'object', properties: { vitals: { type: 'array', items: { $ref: '#/components/schemas/Vital' } } } } } } },
        },
      },
    },
    '/live': {
      get: {
        operationId: 'getLiveChanges',
        tags: [TAG],
        summary: 'Live entity changes (Server-Sent Events)',
        description: 'A text/event-stream of `entity` events, each the changed entity in keyValues with its type\'s Smart Data Models @context, limited to what the caller may read. Fed by one internal subscription per server.',
        responses: { '200': { description: 'The event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
      },
    },
  },
};
