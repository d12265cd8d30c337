/**
 * The PostgreSQL history's monthly partitions, through HTTP on real servers sharing one database:
 * two nodes write instances of many months at once (most months new, so partitions are created
 * while writes go on), every acknowledged write is in the history and each instance ends up in
 * its month's partition (none left in the default partition); retention drops the partitions of
 * months older than the longest limit and deletes the other expired instances one by one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, testStore, type TestServer } from '../helpers/server.js';

const T = '/ngsi-ld/v1/temporal/entities';
const E = '/ngsi-ld/v1/entities';
const DAY = 86_400_000;
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'urbis-pg-temporal-'));
  dirs.push(d);
  return d;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The months (YYYY-MM) that have a partition. */
async function partitions(db: pg.Client): Promise<string[]> {
  const r = await db.query(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'temporal_instances'::regclass ORDER BY 1`,
  );
  return r.rows.map((x) => x.relname as string).filter((n) => n !== 'temporal_instances_default').map((n) => n.replace(/^temporal_instances_y(\d{4})m(\d{2})$/, '$1-$2'));
}

const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

describe('monthly partitions of the history', () => {
  it('files the instances of two nodes writing many new months at once into their months, losing none', async () => {
    const dir = dataDir();
    const url = await testStore(dir);
    const a = await startServer({ dataDir: dir, store: url });
    const b = await startServer({ dataDir: dataDir(), store: url });
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const id = 'urn:ngsi-ld:Vehicle:part-1';
      const month = (n: number) => new Date(Date.UTC(2019, n, 15, 12)).toISOString();
      expect((await a.request('POST', E, { body: { id, type: 'Vehicle', speed: { type: 'Property', value: 0, observedAt: month(0) } } })).status).toBe(201);
      // Each node updates its own attribute, one new month per write (the months of the two
      // streams overlap); meanwhile a temporal write brings 24 other months at once.
      const N = 30;
      const stream = async (s: TestServer, attr: string, offset: number) => {
        for (let n = 1; n <= N; n++) {
          const r = await s.request('POST', `${E}/${id}/attrs`, { body: { [attr]: { type: 'Property', value: n, observedAt: month(offset + n) } } });
          expect(r.status).toBe(204);
        }
      };
      const imported = Array.from({ length: 24 }, (_, n) => ({ type: 'Property', value: n, observedAt: month(60 + n) }));
      await Promise.all([
        stream(a, 'speed', 0),
        stream(b, 'load', 10),
        b.request('POST', `${T}/${id}/attrs`, { body: { fuel: imported } }).then((r) => expect(r.status).toBe(204)),
      ]);

      // Every acknowledged write is in the history, in time order, on both nodes.
      for (const s of [a, b]) {
        const r = await s.request('GET', `${T}/${id}?lastN=100`);
        expect(r.json.speed.map((i: any) => i.value)).toEqual(Array.from({ length: N + 1 }, (_, n) => n));
        expect(r.json.load.map((i: any) => i.value)).toEqual(Array.from({ length: N }, (_, n) => n + 1));
        expect(r.json.fuel.map((i: any) => i.value)).toEqual(imported.map((i) => i.value));
      }
      // Each instance ends up in its month's partition: none waits in the default partition.
      await waitFor(async () => (await db.query('SELECT count(*)::int AS n FROM temporal_instances_default')).rows[0].n === 0, 30_000);
      const misplaced = await db.query(
        `SELECT count(*)::int AS n FROM temporal_instances WHERE tableoid::regclass::text <> 'temporal_instances_y' || to_char(to_timestamp(at / 1000.0) AT TIME ZONE 'UTC', 'YYYY"m"MM')`,
      );
      expect(misplaced.rows[0].n).toBe(0);
      const months = await partitions(db);
      for (let n = 0; n < 84; n++) if (n <= N + 10 || n >= 60) expect(months).toContain(month(n).slice(0, 7));
      // This month's and next month's partitions exist ahead of time.
      const now = new Date();
      expect(months).toContain(monthOf(now.getTime()));
      expect(months).toContain(monthOf(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)));
    } finally {
      await db.end();
      await b.close();
      await a.close();
    }
  });

  it('drops the months older than the longest retention, and deletes the other expired instances one by one', async () => {
    const dir = dataDir();
    const url = await testStore(dir);
    const ago = (days: number) => Date.now() - days * DAY;
    const instances = (days: number[]) => days.map((d) => ({ type: 'Property', value: d, observedAt: new Date(ago(d)).toISOString() }));
    let s = await startServer({ dataDir: dir, store: url });
    expect((await s.request('POST', T, { body: { id: 'urn:ngsi-ld:Building:ret-p', type: 'Building', occupancy: instances([700, 500, 367, 200, 10]) } })).status).toBe(201);
    expect((await s.request('POST', T, { body: { id: 'urn:ngsi-ld:Vehicle:ret-p', type: 'Vehicle', speed: instances([700, 200, 40, 10, 1]) } })).status).toBe(201);
    await s.close();

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      await waitFor(async () => (await db.query('SELECT count(*)::int AS n FROM temporal_instances_default')).rows[0].n === 0, 30_000);
      const before = await partitions(db);
      for (const d of [700, 500, 200, 10]) expect(before).toContain(monthOf(ago(d)));

      // Vehicles keep 30 days, everything else a year: months that ended more than a year ago go whole.
      s = await startServer({ dataDir: dir, store: url, retention: 'Vehicle=30,*=365' });
      const values = async (id: string, attr: string) => (await s.request('GET', `${T}/${id}?attrs=${attr}`)).json[attr]?.map((i: any) => i.value);
      await waitFor(async () => JSON.stringify(await values('urn:ngsi-ld:Vehicle:ret-p', 'speed')) === JSON.stringify([10, 1]), 20_000);
      await waitFor(async () => JSON.stringify(await values('urn:ngsi-ld:Building:ret-p', 'occupancy')) === JSON.stringify([200, 10]), 20_000);

      const after = await partitions(db);
      const limit = ago(365);
      for (const m of before) {
        const end = Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 1);
        if (end <= limit) expect(after).not.toContain(m);
        else expect(after).toContain(m);
      }
      expect(after).not.toContain(monthOf(ago(700)));
      expect(after).not.toContain(monthOf(ago(500)));
      expect(after).toContain(monthOf(ago(200)));
    } finally {
      await db.end();
      await s.close();
    }
  });
});
