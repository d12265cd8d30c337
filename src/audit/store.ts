/**
 * What the audit log needs from persistence. The implementations are
 * src/store/sqlite/audit-store.ts and src/store/postgres/audit-store.ts.
 */
import type { AuditEntry, AuditRecord } from './chain.js';

export interface AuditFilter {
  tenant?: string;
  actor?: string;
  /** Exact operation, or a prefix ending with "*" (entity.*). */
  operation?: string;
  /** Exact resource, or a prefix ending with "*". */
  resource?: string;
  outcome?: string;
  /** Time range (ISO 8601), inclusive. */
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface AuditStore {
  /**
   * Appends entries to the chain, synchronously: inside the caller's open transaction when there
   * is one (they commit or roll back with it), otherwise in a transaction of their own.
   */
  append(entries: Array<AuditEntry & { at: string }>): void;
  /**
   * query, page and head see every entry appended (and committed) before they were called: a
   * store that writes appends in the background waits for them first.
   */
  query(filter: AuditFilter): Promise<{ records: AuditRecord[]; total: number }>;
  /** Up to `limit` records after `afterSeq`, in order (for verification). */
  page(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** The last record appended, as remembered apart from the records. */
  head(): Promise<{ seq: number; hash: string } | undefined>;
}
