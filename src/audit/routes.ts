/**
 * Routes of the auditor: GET /audit/records (filters: actor, operation, resource, outcome, time
 * range; pagination) and GET /audit/verify (checks the hash chain). Auditors see the records of
 * their own tenant; the route table (identity/route-rules.ts) lets only auditors in.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';
import { currentRequest } from '../identity/request-context.js';
import type { AuditLog } from './log.js';

type RecordsQuery = { Querystring: Record<string, string | undefined> };

const MAX_LIMIT = 1000;

function time(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`${name} must be a date-time (ISO 8601), got "${v}"`);
  return new Date(t).toISOString();
}

function int(v: string | undefined, name: string, def: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) > max) throw badRequest(`${name} must be an integer from 0 to ${max}`);
  return Number(v);
}

export function auditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): void {
  const { audit } = deps;

  app.get<RecordsQuery>('/audit/records', async (req, reply) => {
    const q = req.query;
    for (const k of Object.keys(q)) {
      if (!['actor', 'operation', 'resource', 'outcome', 'from', 'to', 'limit', 'offset'].includes(k)) {
        throw badRequest(`unknown parameter ${k} (actor, operation, resource, outcome, from, to, limit, offset)`);
      }
    }
    const { records, total } = await audit.query({
      tenant: currentRequest()?.tenant ?? '',
      actor: q.actor,
      operation: q.operation,
      resource: q.resource,
      outcome: q.outcome,
      from: time(q.from, 'from'),
      to: time(q.to, 'to'),
      limit: int(q.limit, 'limit', 100, MAX_LIMIT),
      offset: int(q.offset, 'offset', 0, Number.MAX_SAFE_INTEGER),
    });
    reply.header('Urbis-Total-Count', String(total));
    return { total, records };
  });

  app.get('/audit/verify', async () => audit.verify());
}
