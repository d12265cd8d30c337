/**
 * The hourly rollups of the SQLite history store (temporal-rollups.ts), on a real database file:
 * which aggregations they serve, that those aggregations do read them, that they follow retention
 * (chunked deletes cutting through hours), and that the migration builds them from the history
 * recorded before it. Aggregation results through HTTP are tested in test/temporal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteBrokerStore } from '../../src/store/sqlite/broker-store.js';
import { migrate } from '../../src/store/sqlite/database.js';
import { rollupsServe } from '../../src/store/sqlite/temporal-rollups.js';
import { SqliteTemporalStore, TEMPORAL_MIGRATIONS } from '../../src/store/sqlite/temporal-store.js';
import type { AggregateRow, Bucketing, TimeFilter } from '../../src/temporal/store.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 5, 1);
const NAME = 'https://example.org/temperature';
const dirs: string[] = [];

function open(): SqliteBrokerStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-rollups-'));
  dirs.push(dir);
  return new SqliteBrokerStore(path.join(dir, 'urbis.db'));
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const hourly: Bucketing = { kind: 'fixed', anchor: T0, ms: H };
const between = (from: number, to: number): TimeFilter => ({ property: 'observedAt', timerel: 'between', timeAt: from, endTimeAt: to });
/** The aggregates without distinctCount, which only the instances give. */
const strip = (rows: AggregateRow[]) => rows.map(({ distinctCount: _d, ...r }) => r);

/** Instances every 7 minutes over `hours` hours, values 0, 1, 2... */
async function record(store: SqliteTemporalStore, hours: number): Promise<number> {
  const list = [];
  for (let t = T0; t < T0 + hours * H; t += 7 * 60_000) list.push({ type: 'Property' as const, value: list.length, observedAt: new Date(t).toISOString() });
  await store.addInstances('', 'urn:ngsi-ld:Sensor:r1', ['https://example.org/Sensor'], { [NAME]: list }, Date.now());
  return (await store.getEntity('', 'urn:ngsi-ld:Sensor:r1'))!.pk;
}

describe('hourly rollups of the history', () => {
  it('serve aggregations by observedAt over whole hours without distinctCount, and only those', () => {
    const t = between(T0, T0 + 24 * H);
    expect(rollupsServe(t, hourly, false)).toBe(true);
    expect(rollupsServe(t, { kind: 'fixed', anchor: T0, ms: 6 * H }, false)).toBe(true);
    expect(rollupsServe(t, { kind: 'months', months: 1 }, false)).toBe(true);
    expect(rollupsServe({ property: 'observedAt' }, { kind: 'whole' }, false)).toBe(true);
    expect(rollupsServe(t, hourly, true)).toBe(false);
    expect(rollupsServe({ ...t, property: 'createdAt' }, hourly, false)).toBe(false);
    expect(rollupsServe(between(T0 + 60_000, T0 + 24 * H), hourly, false)).toBe(false);
    expect(rollupsServe(between(T0, T0 + 24 * H + 1), hourly, false)).toBe(false);
    expect(rollupsServe(t, { kind: 'fixed', anchor: T0, ms: 30 * 60_000 }, false)).toBe(false);
  });

  it('are what such an aggregation reads', async () => {
    const broker = open();
    const store = new SqliteTemporalStore(broker.db);
    const pk = await record(store, 5);
    const before = await store.aggregate([pk], [NAME], between(T0, T0 + 5 * H), hourly, false);
    expect(strip(before)).toEqual(strip(await store.aggregate([pk], [NAME], between(T0, T0 + 5 * H), hourly, true)));
    broker.db.prepare('UPDATE temporal_rollups SET instances = instances + 1000 WHERE hour = ?').run(T0 / H + 2);
    const after = await store.aggregate([pk], [NAME], between(T0, T0 + 5 * H), hourly, false);
    expect(after.map((r) => r.totalCount)).toEqual(before.map((r, k) => r.totalCount + (k === 2 ? 1000 : 0)));
    await broker.close();
  });

  it('follow retention deleting in chunks that end inside an hour', async () => {
    const broker = open();
    const store = new SqliteTemporalStore(broker.db);
    const pk = await record(store, 6);
    // Everything before 03:30, 5 instances per transaction.
    while ((await store.deleteExpired(pk, T0 + 3.5 * H, 5)) > 0);
    const all = { property: 'observedAt' } as TimeFilter;
    const fromRollups = await store.aggregate([pk], [NAME], all, hourly, false);
    expect(fromRollups[0].first).toBe(T0 + 3.5 * H);
    expect(strip(fromRollups)).toEqual(strip(await store.aggregate([pk], [NAME], all, hourly, true)));
    await broker.close();
  });

  it('are built by the migration from the history recorded before it', async () => {
    const broker = open();
    // A database whose history schema predates the rollups.
    migrate(broker.db, 'temporal', TEMPORAL_MIGRATIONS.slice(0, 2));
    broker.db.prepare("INSERT INTO temporal_entities (tenant, id, types, created_at, modified_at) VALUES ('', 'urn:ngsi-ld:Sensor:old', '[]', 0, 0)").run();
    const insert = broker.db.prepare("INSERT INTO temporal_instances (entity_pk, name, kind, data, vnum, observed_at, created_at, modified_at) VALUES (1, ?, 'Property', '{}', ?, ?, 0, 0)");
    for (let k = 0; k < 40; k++) insert.run(NAME, k * 1.5, T0 + k * 11 * 60_000);
    await broker.close();
    const reopened = new SqliteBrokerStore(path.join(dirs[0], 'urbis.db'), 'migrate');
    const store = new SqliteTemporalStore(reopened.db);
    const rows = await store.aggregate([1], [NAME], between(T0, T0 + 8 * H), hourly, false);
    expect(rows.reduce((n, r) => n + r.totalCount, 0)).toBe(40);
    expect(strip(rows)).toEqual(strip(await store.aggregate([1], [NAME], between(T0, T0 + 8 * H), hourly, true)));
    await reopened.close();
  });
});
