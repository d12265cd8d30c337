/**
 * SQLite implementation of the audit Store: the hash-chained records and the remembered head of
 * the chain, in the broker's database (component 'audit' of schema_migrations).
 */
import type { Statement } from 'better-sqlite3';
import { GENESIS_HASH, recordHash, type AuditEntry, type AuditRecord } from '../../audit/chain.js';
import type { AuditFilter, AuditStore } from '../../audit/store.js';
import { migrate, type Db } from './database.js';
import { auditRecordOf, type AuditRow } from '../audit-row.js';

export const AUDIT_MIGRATIONS: string[] = [
  `
  CREATE TABLE audit_records (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    operation  TEXT NOT NULL,
    resource   TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    client     TEXT NOT NULL,
    purpose    TEXT,
    detail     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
  );
  CREATE INDEX audit_by_actor ON audit_records (tenant, actor, seq);
  CREATE INDEX audit_by_resource ON audit_records (tenant, resource, seq);
  CREATE INDEX audit_by_time ON audit_records (tenant, at);
  -- The last record appended: reveals records cut off the end of the chain.
  CREATE TABLE audit_head (
    one   INTEGER PRIMARY KEY CHECK (one = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
  );
  `,
];

export class SqliteAuditStore implements AuditStore {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    migrate(db, 'audit', AUDIT_MIGRATIONS);
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      last: p('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1'),
      insert: p(`INSERT INTO audit_records (seq, at, tenant, actor, operation, resource, outcome, client, purpose, detail, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      setHead: p('INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash'),
      head: p('SELECT seq, hash FROM audit_head WHERE one = 1'),
      page: p('SELECT * FROM audit_records WHERE seq > ? ORDER BY seq LIMIT ?'),
    };
  }

  append(entries: Array<AuditEntry & { at: string }>): void {
    if (entries.length === 0) return;
    const write = () => {
      // The chain continues from the last record (or the remembered head, if records were cut).
      const last = (this.stmt.head.get() ?? this.stmt.last.get()) as { seq: number; hash: string } | undefined;
      let seq = last?.seq ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      for (const e of entries) {
        const r = { ...e, seq: ++seq, prevHash };
        const hash = recordHash(r);
        this.stmt.insert.run(r.seq, r.at, r.tenant, r.actor, r.operation, r.resource, r.outcome, r.client, r.purpose ?? null, r.detail ?? null, prevHash, hash);
        prevHash = hash;
      }
      this.stmt.setHead.run(seq, prevHash);
    };
    // Inside an entity write's transaction the records commit or roll back with it (a savepoint
    // would only add a copy of every page they touch).
    if (this.db.inTransaction) write();
    else this.db.transaction(write).immediate();
  }

  async query(f: AuditFilter): Promise<{ records: AuditRecord[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const match = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      if (value.endsWith('*')) {
        where.push(`substr(${column}, 1, ?) = ?`);
        params.push(value.length - 1, value.slice(0, -1));
      } else {
        where.push(`${column} = ?`);
        params.push(value);
      }
    };
    if (f.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(f.tenant);
    }
    match('actor', f.actor);
    match('operation', f.operation);
    match('resource', f.resource);
    match('outcome', f.outcome);
    if (f.from !== undefined) {
      where.push('at >= ?');
      params.push(f.from);
    }
    if (f.to !== undefined) {
      where.push('at <= ?');
      params.push(f.to);
    }
    const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM audit_records ${w}`).get(...params) as { n: number }).n;
    const rows = this.db.prepare(`SELECT * FROM audit_records ${w} ORDER BY seq LIMIT ? OFFSET ?`).all(...params, f.limit, f.offset) as AuditRow[];
    return { records: rows.map(auditRecordOf), total };
  }

  async page(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    return (this.stmt.page.all(afterSeq, limit) as AuditRow[]).map(auditRecordOf);
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.stmt.head.get() as { seq: number; hash: string } | undefined;
  }
}
