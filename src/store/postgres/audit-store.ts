/**
 * PostgreSQL implementation of the audit Store: the hash-chained records, the remembered head of
 * the chain, and the entries waiting to be chained, shared by every node on the database.
 *
 * One chain for many nodes. An entry appended inside a write's transaction (an entity write, a
 * policy change) is inserted into `audit_pending` on that transaction, so it commits or rolls
 * back with the write, and takes no lock there. Entries appended outside a transaction wait in a
 * queue in memory, in order. A chaining pass then, in a transaction of its own, locks the head row
 * (`SELECT ... FOR UPDATE`: passes of every node run one at a time), takes the committed pending
 * entries in their order and the queued ones after them, computes seq, previous hash and hash
 * (recordHash), inserts the records and moves the head. A pass runs after each commit that
 * appended, for each queued batch, and before every read (query, page, head), so reads see every
 * entry appended before them, from any node; entries a crashed node committed are chained by the
 * next pass anywhere. A pass that fails puts its queued entries back and is retried with a
 * growing delay (warnings on stderr).
 *
 * Why not chain inside the write's transaction: the head lock would then be held from the first
 * audited change of a transaction to its commit, so that batch writes taking entity locks in
 * different orders on two connections deadlock on it, and every write in the cluster waits for
 * the previous one's commit.
 */
import { GENESIS_HASH, recordHash, type AuditEntry, type AuditRecord } from '../../audit/chain.js';
import type { AuditFilter, AuditStore } from '../../audit/store.js';
import type { ClusterBus } from '../../cluster/bus.js';
import { activeTx, type PgDatabase, type PgTx } from './database.js';
import type { SchemaComponent } from './migrate.js';
import { BurstWarning } from './burst-warning.js';
import { auditRecordOf, type AuditRow } from '../audit-row.js';

export const AUDIT_SCHEMA: SchemaComponent = {
  component: 'audit',
  migrations: [
    `
    CREATE TABLE audit_records (
      seq        bigint PRIMARY KEY,
      at         text COLLATE "C" NOT NULL,  -- ISO 8601, hashed as written: kept as the text it was
      tenant     text NOT NULL,
      actor      text NOT NULL,
      operation  text NOT NULL,
      resource   text NOT NULL,
      outcome    text NOT NULL,
      client     text NOT NULL,
      purpose    text,
      detail     text,
      prev_hash  text NOT NULL,
      hash       text NOT NULL
    );
    CREATE INDEX audit_by_actor ON audit_records (tenant, actor, seq);
    CREATE INDEX audit_by_resource ON audit_records (tenant, resource, seq);
    CREATE INDEX audit_by_time ON audit_records (tenant, at);
    -- The last record chained: reveals records cut off the end of the chain, and is the row
    -- chaining passes lock. It exists from the start, so that the first passes lock it too.
    CREATE TABLE audit_head (
      one   integer PRIMARY KEY CHECK (one = 1),
      seq   bigint NOT NULL,
      hash  text NOT NULL
    );
    INSERT INTO audit_head (one, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
    -- Entries committed with their write, waiting to be chained (in id order).
    CREATE TABLE audit_pending (
      id     bigserial PRIMARY KEY,
      entry  jsonb NOT NULL
    );
    `,
  ],
};

type Entry = AuditEntry & { at: string };

/** Entries chained in one transaction at most. */
const PASS_SIZE = 5000;
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 10_000;

export class PgAuditStore implements AuditStore {
  private queue: Entry[] = [];
  /** The pass running, and the one asked for meanwhile (it starts when the first ends). */
  private running: Promise<void> | undefined;
  private following: Promise<void> | undefined;
  private retryDelay = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly warning = new BurstWarning('audit records could not be written (retrying)');

  constructor(
    readonly db: PgDatabase,
    readonly bus: ClusterBus,
  ) {}

  /** Chains what crashed nodes left pending. */
  async init(): Promise<void> {
    await this.pass();
  }

  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const tx = activeTx();
    if (tx) {
      tx.defer('INSERT INTO audit_pending (entry) SELECT e FROM jsonb_array_elements($1::jsonb) AS e', [JSON.stringify(entries)]);
      tx.afterCommit(() => this.wake());
      return;
    }
    this.queue.push(...entries);
    this.wake();
  }

  async query(f: AuditFilter): Promise<{ records: AuditRecord[]; total: number }> {
    await this.pass();
    const where: string[] = [];
    const params: unknown[] = [];
    const match = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      params.push(value.endsWith('*') ? value.slice(0, -1) : value);
      where.push(value.endsWith('*') ? `starts_with(${column}, $${params.length})` : `${column} = $${params.length}`);
    };
    if (f.tenant !== undefined) {
      params.push(f.tenant);
      where.push(`tenant = $${params.length}`);
    }
    match('actor', f.actor);
    match('operation', f.operation);
    match('resource', f.resource);
    match('outcome', f.outcome);
    if (f.from !== undefined) {
      params.push(f.from);
      where.push(`at >= $${params.length}`);
    }
    if (f.to !== undefined) {
      params.push(f.to);
      where.push(`at <= $${params.length}`);
    }
    const w = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const n = params.length;
    const [[{ total }], rows] = await Promise.all([
      this.db.query<{ total: number }>(`SELECT count(*) AS total FROM audit_records ${w}`, params),
      this.db.query<AuditRow>(`SELECT * FROM audit_records ${w} ORDER BY seq LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, f.limit, f.offset]),
    ]);
    return { records: rows.map(auditRecordOf), total };
  }

  async page(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    await this.pass();
    return (await this.db.query<AuditRow>('SELECT * FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2', [afterSeq, limit])).map(auditRecordOf);
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    await this.pass();
    const [h] = await this.db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE one = 1');
    return h && h.seq > 0 ? { seq: h.seq, hash: h.hash } : undefined;
  }

  // ---- Chaining ----

  /** Starts a pass soon; its failures are warned about and retried. */
  private wake(): void {
    this.pass().catch(() => {});
  }

  /** A pass that starts after this call: it chains every entry appended or committed before it. */
  private pass(): Promise<void> {
    if (!this.running) {
      this.running = this.chainAll().finally(() => (this.running = undefined));
      return this.running;
    }
    this.following ??= this.running
      .catch(() => {})
      .then(() => {
        this.following = undefined;
        return this.pass();
      });
    return this.following;
  }

  private async chainAll(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      while (await this.chainSome()) {
        // Until nothing is left.
      }
      this.retryDelay = RETRY_MIN_MS;
    } catch (err) {
      this.warning.warn(err);
      this.retryTimer = setTimeout(() => this.wake(), this.retryDelay);
      this.retryTimer.unref();
      this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
      throw err;
    }
  }

  /** Chains up to PASS_SIZE entries in one transaction; false when there was nothing to chain. */
  private async chainSome(): Promise<boolean> {
    const queued = this.queue.splice(0, PASS_SIZE);
    try {
      return await this.db.transaction(async (tx) => {
        const [head] = await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE one = 1 FOR UPDATE');
        // Without its head row (removed by hand), the chain continues from its last record.
        const last = head ?? (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1'))[0];
        const pending = await tx.query<{ id: number; entry: Entry }>(
          'DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT $1) RETURNING id, entry',
          [PASS_SIZE],
        );
        pending.sort((a, b) => a.id - b.id);
        const entries = [...pending.map((p) => p.entry), ...queued];
        if (entries.length === 0) return false;
        await this.insert(tx, entries, last?.seq ?? 0, last?.hash ?? GENESIS_HASH);
        return true;
      });
    } catch (err) {
      this.queue.unshift(...queued);
      throw err;
    }
  }

  private async insert(tx: PgTx, entries: Entry[], lastSeq: number, lastHash: string): Promise<void> {
    const cols: unknown[][] = Array.from({ length: 12 }, () => []);
    let seq = lastSeq;
    let prevHash = lastHash;
    for (const e of entries) {
      const r = { ...e, seq: ++seq, prevHash };
      const hash = recordHash(r);
      [r.seq, r.at, r.tenant, r.actor, r.operation, r.resource, r.outcome, r.client, r.purpose ?? null, r.detail ?? null, prevHash, hash].forEach((v, i) => cols[i].push(v));
      prevHash = hash;
    }
    // The records and the new head in one round trip: the head stays locked for as short as can be.
    await tx.query(
      `WITH records AS (
         INSERT INTO audit_records (seq, at, tenant, actor, operation, resource, outcome, client, purpose, detail, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
       )
       INSERT INTO audit_head (one, seq, hash) VALUES (1, $13, $14) ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
      [...cols, seq, prevHash],
    );
  }
}
