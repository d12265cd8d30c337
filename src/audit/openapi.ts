/**
 * The OpenAPI section of the audit log: the auditor's routes (audit/routes.ts).
 */
import type { ApiSection } from '../openapi/sections.js';
import { DENIED, problemResponse } from '../identity/openapi.js';

const TAG = 'Audit';
const query = (name: string, description: string, format?: string) => ({ name, in: 'query', required: false, description, schema: format ? { type: 'string', format } : { type: 'string' } });

export const auditSection: ApiSection = {
  tags: [{ name: TAG, description: 'The append-only, hash-chained audit log of the tenant, for auditors. See docs/identity.md.' }],
  schemas: {
    AuditRecord: {
      type: 'object',
      properties: {
        seq: { type: 'integer' },
        at: { type: 'string', format: 'date-time' },
        tenant: { type: 'string' },
        actor: { type: 'string' },
        operation: { type: 'string' },
        resource: { type: 'string' },
        outcome: { type: 'string', enum: ['success', 'denied', 'failed'] },
        client: { type: 'string' },
        purpose: { type: 'string' },
        detail: { type: 'string' },
        prevHash: { type: 'string' },
        hash: { type: 'string' },
      },
      required: ['seq', 'at', 'actor', 'operation', 'resource', 'outcome', 'prevHash', 'hash'],
    },
  },
  paths: {
    '/audit/records': {
      get: {
        operationId: 'listAuditRecords',
        tags: [TAG],
        summary: 'Audit records',
        description: 'Records of the tenant in chain order, filtered; actor, operation and resource match exactly or, ending with *, by prefix.',
        parameters: [
          query('actor', 'Who acted (account name, key:<id>, oidc:<user>, anonymous).'),
          query('operation', 'e.g. entity.update, login, policy.update, entity.*'),
          query('resource', 'e.g. an entity id, account:<name>'),
          query('outcome', 'success, denied or failed'),
          query('from', 'Earliest time (inclusive).', 'date-time'),
          query('to', 'Latest time (inclusive).', 'date-time'),
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 1000, default: 100 } },
          { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: {
          200: {
            description: 'The page of records and the total count.',
            content: { 'application/json': { schema: { type: 'object', properties: { total: { type: 'integer' }, records: { type: 'array', items: { $ref: '#/components/schemas/AuditRecord' } } } } } },
          },
          400: problemResponse('A parameter is invalid (the detail names it)', 'BadRequestData'),
          ...DENIED,
        },
      },
    },
    '/audit/verify': {
      get: {
        operationId: 'verifyAuditChain',
        tags: [TAG],
        summary: 'Verify the chain',
        description: 'Recomputes the hash chain of the whole log; names the first broken record (edited, deleted or cut off).',
        responses: {
          200: {
            description: 'The result.',
            content: { 'application/json': { schema: { type: 'object', properties: { ok: { type: 'boolean' }, checked: { type: 'integer' }, broken: { type: 'object' } } } } },
          },
          ...DENIED,
        },
      },
    },
  },
};
