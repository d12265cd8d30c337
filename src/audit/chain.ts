/**
 * The hash chain of the audit log: each record carries the SHA-256 of its content together with
 * the hash of the record before it, so editing, deleting or reordering any record breaks the
 * chain from that record on. `verifyChain` recomputes it and names the first broken record.
 */
import { createHash } from 'node:crypto';

/** What is recorded: who did what to which resource, when, from where, why, and how it ended. */
export interface AuditEntry {
  tenant: string;
  /** Account name, key:<id>, oidc:<subject>, anonymous, system. */
  actor: string;
  /** e.g. entity.create, entity.update, entity.delete, entity.read, login, policy.update, POST /ngsi-ld/v1/subscriptions */
  operation: string;
  /** e.g. the entity id, the request path, the account. */
  resource: string;
  outcome: 'success' | 'denied' | 'failed';
  /** Client address (or "cli" for commands run on the machine). */
  client: string;
  /** The purpose the caller declared (Urbis-Purpose header), if any. */
  purpose?: string;
  /** HTTP status, reason of a failure, and the like. */
  detail?: string;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** The "previous hash" of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  const content = [r.seq, r.at, r.tenant, r.actor, r.operation, r.resource, r.outcome, r.client, r.purpose ?? null, r.detail ?? null, r.prevHash];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

export interface VerifyResult {
  ok: boolean;
  /** Records checked. */
  checked: number;
  /** The first broken record and why. */
  broken?: { seq: number; reason: string };
}

/**
 * Checks records given in seq order (in pages: call `next` until it returns an empty page) and the
 * head (last seq and hash) the log remembers separately, which reveals records cut off the end.
 */
export async function verifyChain(
  next: (afterSeq: number) => Promise<AuditRecord[]>,
  head: { seq: number; hash: string } | undefined,
): Promise<VerifyResult> {
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  for (let page = await next(0); page.length > 0; page = await next(prevSeq)) {
    for (const r of page) {
      if (r.seq !== prevSeq + 1) {
        return { ok: false, checked, broken: { seq: prevSeq + 1, reason: `record ${prevSeq + 1} is missing: the chain jumps from record ${prevSeq} to record ${r.seq}` } };
      }
      if (r.prevHash !== prevHash) {
        return { ok: false, checked, broken: { seq: r.seq, reason: `record ${r.seq} does not follow record ${prevSeq}: its previous hash differs (record ${prevSeq} was altered or replaced)` } };
      }
      if (recordHash(r) !== r.hash) {
        return { ok: false, checked, broken: { seq: r.seq, reason: `record ${r.seq} was altered: its content does not match its hash` } };
      }
      prevSeq = r.seq;
      prevHash = r.hash;
      checked++;
    }
  }
  const headSeq = head?.seq ?? 0;
  if (headSeq > prevSeq) {
    return { ok: false, checked, broken: { seq: prevSeq + 1, reason: `records ${prevSeq + 1} to ${headSeq} are missing from the end of the log` } };
  }
  if (head && head.hash !== prevHash) {
    return { ok: false, checked, broken: { seq: prevSeq, reason: `record ${prevSeq} differs from the last record the log remembers` } };
  }
  return { ok: true, checked };
}
