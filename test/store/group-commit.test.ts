/**
 * Group commit of the SQLite broker store (group-commit.ts), on a real database file: writes
 * issued together commit in one transaction; each one is answered after the commit with its own
 * result or error; a write that fails (before or after it started writing) leaves no trace and
 * does not disturb the others; recorders run in each caller's async context; commit listeners get
 * the changes once, in order; what was acknowledged is in the file, for another connection.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntityChange } from '../../src/broker/changes.js';
import type { Entity } from '../../src/broker/model.js';
import * as m from '../../src/broker/mutations.js';
import { SqliteBrokerStore } from '../../src/store/sqlite/broker-store.js';
import { NgsiError } from '../../src/errors.js';

const NS = 'https://example.org/';
const now = () => new Date().toISOString();
let dir: string;
let store: SqliteBrokerStore;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'urbis-group-'));
  store = new SqliteBrokerStore(path.join(dir, 'urbis.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const create = (id: string, value: number) => m.createEntity({ id, types: [NS + 'Sensor'], attrs: { [NS + 'v']: [{ type: 'Property', value }] } }, now());
const setValue = (id: string, value: number) => m.updateAttrs({ id, attrs: { [NS + 'v']: [{ type: 'Property', value }] } }, now());
const valueOf = (e: Entity | undefined) => e?.attrs[NS + 'v']?.[0].value;

describe('group commit', () => {
  it('commits writes issued together in one transaction, each answered with its own outcome', async () => {
    const committed: EntityChange[][] = [];
    store.addCommitListener((changes) => committed.push([...changes]));
    await store.mutateEntity('', 'urn:e:0', create('urn:e:0', 0));
    const transactions: number[] = [];
    store.addChangeRecorder(() => transactions.push(store.db.inTransaction ? 1 : 0));
    const results = await Promise.allSettled([
      store.mutateEntity('', 'urn:e:1', create('urn:e:1', 1)),
      store.mutateEntity('', 'urn:e:0', create('urn:e:0', 9)), // already exists
      store.mutateEntity('', 'urn:e:0', setValue('urn:e:0', 5)),
      store.mutateEntities<unknown>('', [
        { id: 'urn:e:2', mutate: create('urn:e:2', 2) },
        { id: 'urn:e:missing', mutate: setValue('urn:e:missing', 3) }, // does not exist
      ]),
      store.mutateEntity('', 'urn:e:3', create('urn:e:3', 3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as NgsiError).status).toBe(409);
    const batch = (results[3] as PromiseFulfilledResult<Array<{ id: string; ok: boolean }>>).value;
    expect(batch.map((o) => [o.id, o.ok])).toEqual([['urn:e:2', true], ['urn:e:missing', false]]);
    // One listener call for the group, with the changes in the order the writes were issued.
    expect(committed.at(-1)!.map((c) => [c.id, c.op])).toEqual([['urn:e:1', 'created'], ['urn:e:0', 'updated'], ['urn:e:2', 'created'], ['urn:e:3', 'created']]);
    expect(committed).toHaveLength(2);
    expect(transactions.every((t) => t === 1)).toBe(true);
    expect(valueOf(await store.getEntity('', 'urn:e:0'))).toBe(5);
    expect(await store.getEntity('', 'urn:e:missing')).toBeUndefined();
  });

  it('undoes exactly the write whose recorder refuses it, after it wrote, and commits the others', async () => {
    await store.mutateEntities('', [{ id: 'urn:e:a', mutate: create('urn:e:a', 1) }, { id: 'urn:e:b', mutate: create('urn:e:b', 1) }]);
    const recorded: string[] = [];
    store.addChangeRecorder((c) => {
      // What a recorder writes commits or rolls back with the change.
      store.db.prepare('CREATE TABLE IF NOT EXISTS trail (id TEXT)').run();
      store.db.prepare('INSERT INTO trail (id) VALUES (?)').run(c.id);
      if (valueOf(c.after) === 666) throw new Error('refused by a recorder');
      recorded.push(c.id);
    });
    const committed: string[] = [];
    store.addCommitListener((changes) => committed.push(...changes.map((c) => `${c.id}=${valueOf(c.after)}`)));
    const results = await Promise.allSettled([
      store.mutateEntity('', 'urn:e:a', setValue('urn:e:a', 2)),
      store.mutateEntity('', 'urn:e:b', setValue('urn:e:b', 666)),
      store.mutateEntities('', [
        { id: 'urn:e:c', mutate: create('urn:e:c', 3) },
        { id: 'urn:e:d', mutate: create('urn:e:d', 666) },
      ]),
    ]);
    expect(results[0].status).toBe('fulfilled');
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('refused by a recorder');
    const batch = (results[2] as PromiseFulfilledResult<Array<{ id: string; ok: boolean; error?: Error }>>).value;
    expect(batch.map((o) => [o.id, o.ok, o.error?.message])).toEqual([['urn:e:c', true, undefined], ['urn:e:d', false, 'refused by a recorder']]);
    expect(valueOf(await store.getEntity('', 'urn:e:a'))).toBe(2);
    expect(valueOf(await store.getEntity('', 'urn:e:b'))).toBe(1);
    expect(await store.getEntity('', 'urn:e:d')).toBeUndefined();
    expect((store.db.prepare('SELECT id FROM trail ORDER BY rowid').all() as Array<{ id: string }>).map((r) => r.id)).toEqual(['urn:e:a', 'urn:e:c']);
    expect(committed).toEqual(['urn:e:a=2', 'urn:e:c=3']);
  });

  it('runs recorders in the async context of each write', async () => {
    const requests = new AsyncLocalStorage<string>();
    const seen = new Map<string, string | undefined>();
    store.addChangeRecorder((c) => seen.set(c.id, requests.getStore()));
    await Promise.all(['x', 'y', 'z'].map((r) => requests.run(`request ${r}`, () => store.mutateEntity('', `urn:e:${r}`, create(`urn:e:${r}`, 1)))));
    expect(Object.fromEntries(seen)).toEqual({ 'urn:e:x': 'request x', 'urn:e:y': 'request y', 'urn:e:z': 'request z' });
  });

  it('has every acknowledged write in the file when it is acknowledged, all in one commit', async () => {
    const before = store.groupCommits.groups;
    const writes = Array.from({ length: 50 }, (_, k) => store.mutateEntity('', `urn:e:${k}`, create(`urn:e:${k}`, k)));
    const other = new Database(path.join(dir, 'urbis.db'), { readonly: true });
    try {
      await writes[0];
      // Acknowledged: another connection reads it from the file.
      expect((other.prepare('SELECT count(*) AS n FROM entities').get() as { n: number }).n).toBe(50);
      await Promise.all(writes);
    } finally {
      other.close();
    }
    expect(store.groupCommits.groups - before).toBe(1);
    expect(store.groupCommits.writes).toBe(50);
  });
});
