/**
 * One audit chain written by several nodes at once, on a real PostgreSQL database: each node is
 * its own PgAuditStore on its own connection pool. Entries appended inside transactions commit or
 * roll back with them, entries appended outside are written in order, every entry lands exactly
 * once in a chain that verifies, entries a crashed node left are chained by another, a failing
 * database is retried, and two transactions that lock rows in opposite orders do not deadlock on
 * the audit log.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { PgDatabase, withActiveTx } from '../../src/store/postgres/database.js';
import { migratePostgres } from '../../src/store/postgres/migrate.js';
import { AUDIT_SCHEMA, PgAuditStore } from '../../src/store/postgres/audit-store.js';
import { LocalBus } from '../../src/cluster/bus.js';
import { verifyChain, type AuditEntry } from '../../src/audit/chain.js';
import { createTestDatabase, dropTestDatabase } from '../helpers/postgres.js';

const KEY = `audit-chain-test-${process.pid}`;
let url: string;
const pools: PgDatabase[] = [];

async function node(): Promise<{ db: PgDatabase; audit: PgAuditStore }> {
  const db = new PgDatabase(url, { max: 6 });
  pools.push(db);
  await migratePostgres(db, [AUDIT_SCHEMA], 'start');
  const audit = new PgAuditStore(db, new LocalBus());
  await audit.init();
  return { db, audit };
}

const entry = (resource: string, actor = 'tester'): AuditEntry & { at: string } => ({
  tenant: '',
  actor,
  operation: 'entity.update',
  resource,
  outcome: 'success',
  client: 'test',
  at: new Date().toISOString(),
});

async function sql(text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

async function verify(audit: PgAuditStore) {
  return verifyChain((after) => audit.page(after, 1000), await audit.head());
}

beforeAll(async () => {
  url = await createTestDatabase(inject('postgresUrl'), KEY);
});

afterAll(async () => {
  for (const db of pools) await db.close();
  await dropTestDatabase(inject('postgresUrl'), KEY);
});

describe('the audit chain on PostgreSQL', () => {
  it('takes entries from several nodes at once, inside and outside transactions, each exactly once, and verifies', async () => {
    const nodes = [await node(), await node(), await node()];
    const before = (await nodes[0].audit.head())?.seq ?? 0;
    const expected: string[] = [];
    const work: Array<Promise<unknown>> = [];
    nodes.forEach(({ db, audit }, n) => {
      for (let i = 0; i < 15; i++) {
        const inTx = [`n${n}-tx${i}-a`, `n${n}-tx${i}-b`];
        expected.push(...inTx);
        work.push(
          db.transaction(async (tx) => {
            await tx.query('SELECT 1');
            withActiveTx(tx, () => audit.append([entry(inTx[0])]));
            withActiveTx(tx, () => audit.append([entry(inTx[1])]));
          }),
        );
        const outside = `n${n}-out${i}`;
        expected.push(outside);
        audit.append([entry(outside)]);
      }
      // A write that fails takes its audit entry with it.
      work.push(
        db
          .transaction(async (tx) => {
            withActiveTx(tx, () => audit.append([entry(`n${n}-rolled-back`)]));
            await tx.query('SELECT 1/0');
          })
          .catch((err: Error) => err.message),
      );
    });
    const outcomes = await Promise.all(work);
    expect(outcomes.filter((o) => o === 'division by zero')).toHaveLength(3);

    const result = await verify(nodes[1].audit);
    expect(result).toEqual({ ok: true, checked: before + expected.length });
    const { records, total } = await nodes[2].audit.query({ limit: 10_000, offset: before });
    expect(total).toBe(before + expected.length);
    expect(records.map((r) => r.resource).sort()).toEqual([...expected].sort());
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => before + i + 1));
    // Entries appended outside a transaction by one node keep their order.
    for (let n = 0; n < 3; n++) {
      const mine = records.filter((r) => r.resource.startsWith(`n${n}-out`)).map((r) => r.resource);
      expect(mine).toEqual(Array.from({ length: 15 }, (_, i) => `n${n}-out${i}`));
    }
  });

  it('chains what a crashed node committed but never chained, on the next read anywhere', async () => {
    const { audit } = await node();
    const orphan = { ...entry('left-by-a-crashed-node'), purpose: 'crash test' };
    await sql('INSERT INTO audit_pending (entry) VALUES ($1)', [JSON.stringify(orphan)]);
    const { records } = await audit.query({ resource: 'left-by-a-crashed-node', limit: 10, offset: 0 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ purpose: 'crash test', actor: 'tester' });
    expect(await sql('SELECT 1 FROM audit_pending')).toHaveLength(0);
    expect((await verify(audit)).ok).toBe(true);
  });

  it('keeps entries it could not write, in order, and writes them once the database takes them again', async () => {
    const { audit } = await node();
    await sql('ALTER TABLE audit_records RENAME TO audit_records_away');
    try {
      audit.append([entry('while-away-1')]);
      audit.append([entry('while-away-2')]);
      await expect(audit.head()).rejects.toThrow(/audit_records/);
    } finally {
      await sql('ALTER TABLE audit_records_away RENAME TO audit_records');
    }
    const { records } = await audit.query({ resource: 'while-away-*', limit: 10, offset: 0 });
    expect(records.map((r) => r.resource)).toEqual(['while-away-1', 'while-away-2']);
    expect((await verify(audit)).ok).toBe(true);
  });

  it('does not make two writes that lock rows in opposite orders deadlock', async () => {
    const [a, b] = [await node(), await node()];
    await sql('CREATE TABLE IF NOT EXISTS things (id int PRIMARY KEY); INSERT INTO things VALUES (1), (2) ON CONFLICT DO NOTHING');
    let second: Promise<void> | undefined;
    let secondLocked!: () => void;
    const locked = new Promise<void>((resolve) => (secondLocked = resolve));
    const first = a.db.transaction(async (tx) => {
      await tx.query('SELECT * FROM things WHERE id = 1 FOR UPDATE');
      withActiveTx(tx, () => a.audit.append([entry('thing-1', 'first')]));
      await tx.query('SELECT 1');
      // The other write locks thing 2 and appends to the log, then waits for us to wait for it.
      second = b.db.transaction(async (tx2) => {
        await tx2.query('SELECT * FROM things WHERE id = 2 FOR UPDATE');
        withActiveTx(tx2, () => b.audit.append([entry('thing-2', 'second')]));
        await tx2.query('SELECT 1');
        secondLocked();
        for (;;) {
          const waiting = await sql("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%things WHERE id = 2%'");
          if (waiting.length > 0) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      await locked;
      await tx.query('SELECT * FROM things WHERE id = 2 FOR UPDATE');
    });
    await first;
    await second;
    const { records } = await a.audit.query({ resource: 'thing-*', limit: 10, offset: 0 });
    expect(records.map((r) => r.actor).sort()).toEqual(['first', 'second']);
  });
});
