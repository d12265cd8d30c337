/**
 * The audit log's table row (the same columns in SQLite and PostgreSQL) and its record.
 */
import type { AuditRecord } from '../audit/chain.js';

export interface AuditRow {
  seq: number;
  at: string;
  tenant: string;
  actor: string;
  operation: string;
  resource: string;
  outcome: AuditRecord['outcome'];
  client: string;
  purpose: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export function auditRecordOf(r: AuditRow): AuditRecord {
  const rec: AuditRecord = {
    seq: r.seq,
    at: r.at,
    tenant: r.tenant,
    actor: r.actor,
    operation: r.operation,
    resource: r.resource,
    outcome: r.outcome,
    client: r.client,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
  if (r.purpose !== null) rec.purpose = r.purpose;
  if (r.detail !== null) rec.detail = r.detail;
  return rec;
}
