/**
 * Writes of the PostgreSQL broker store with two nodes (two stores, two pools, two buses) on one
 * database: writers of the same entity serialise (no update lost), a creation race has one winner
 * and an AlreadyExists for the other, a batch keeps failing entities out (their mutator or a change
 * recorder threw) and writes the others, what recorders defer commits or rolls back with the write,
 * and contexts registered on one node are served by the other's synchronous look-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../src/broker/model.js';
import type { EntityChange } from '../../src/broker/changes.js';
import type { EntityMutator } from '../../src/broker/store.js';
import { createEntity, deleteEntity, updateAttrs } from '../../src/broker/mutations.js';
import { NgsiError } from '../../src/errors.js';
import { parseGeorel } from '../../src/broker/geo/geo-query.js';
import { activeTx } from '../../src/store/postgres/database.js';
import { brokerDatabase, type BrokerDatabase, type BrokerNode } from './broker-helpers.js';

const NS = 'https://example.org/ns/';
const N = NS + 'n';
const THING = NS + 'Thing';
const now = () => new Date().toISOString();
const thing = (id: string, n: number) => ({ id, types: [THING], attrs: { [N]: [{ type: 'Property' as const, value: n }] } });

/** Adds one to n, from the entity as the store hands it over. */
const increment: EntityMutator<number> = (current) => {
  if (!current) throw new Error('missing');
  const n = (current.attrs[N][0].value as number) + 1;
  return { next: { ...current, modifiedAt: now(), attrs: { ...current.attrs, [N]: [{ type: 'Property', value: n }] } }, result: n };
};

let pg: BrokerDatabase;
let a: BrokerNode;
let b: BrokerNode;

beforeAll(async () => {
  pg = await brokerDatabase();
  a = await pg.node();
  b = await pg.node();
  await a.db.query('CREATE TABLE recorded (id text NOT NULL, op text NOT NULL)');
  // A recorder as the history and outbox recorders are: it defers its statement into the write's transaction.
  for (const node of [a, b]) node.store.addChangeRecorder((c) => activeTx()!.defer('INSERT INTO recorded (id, op) VALUES ($1, $2)', [c.id, c.op]));
});

afterAll(async () => {
  await pg?.drop();
});

const recorded = async (id: string) => (await a.db.query<{ op: string }>('SELECT op FROM recorded WHERE id = $1', [id])).map((r) => r.op);

describe('two nodes writing', () => {
  it('serialise on the same entity: no update is lost', async () => {
    await a.store.mutateEntity('', 'urn:c', createEntity(thing('urn:c', 0), now()));
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).store.mutateEntity('', 'urn:c', increment)));
    expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect((await b.store.getEntity('', 'urn:c'))!.attrs[N][0].value).toBe(60);
    expect(await recorded('urn:c')).toHaveLength(61);
  });

  it('creating the same entity: one wins, the other is told it already exists', async () => {
    for (let i = 0; i < 20; i++) {
      const id = `urn:race:${i}`;
      const outcomes = await Promise.allSettled([a, b].map((node, k) => node.store.mutateEntity('', id, createEntity(thing(id, k), now()))));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toBeInstanceOf(NgsiError);
      expect((lost.reason as NgsiError).errorType).toBe('AlreadyExists');
      expect(await recorded(id)).toEqual(['created']);
    }
  });
});

describe('two nodes upserting overlapping batches', () => {
  it('in opposite orders: every batch succeeds and no increment is lost', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `urn:o:${i}`);
    /** Creates the entity with n = 1, or adds one to n. */
    const bump = (id: string): EntityMutator<void> => (current) => ({ next: current ? increment(current).next : createEntity(thing(id, 1), now())(undefined).next, result: undefined });
    const batch = (node: BrokerNode, order: string[]) => node.store.mutateEntities<void>('', order.map((id) => ({ id, mutate: bump(id) })));
    const rounds = 6;
    const outcomes = (await Promise.all(Array.from({ length: rounds }, (_, r) => batch(r % 2 ? a : b, r % 2 ? ids : [...ids].reverse())))).flat();
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    for (const id of ids) expect((await a.store.getEntity('', id))!.attrs[N][0].value, id).toBe(rounds);
  });
});

describe('a batch', () => {
  it('writes the entities whose mutator succeeds, and leaves no trace of the others', async () => {
    const seen: EntityChange[] = [];
    a.store.addCommitListener((changes) => seen.push(...changes));
    await a.store.mutateEntity('', 'urn:b:gone', createEntity(thing('urn:b:gone', 1), now()));
    seen.length = 0;
    const outcomes = await a.store.mutateEntities<unknown>('', [
      { id: 'urn:b:1', mutate: createEntity(thing('urn:b:1', 1), now()) },
      { id: 'urn:b:2', mutate: updateAttrs(thing('urn:b:2', 2), now()) }, // does not exist: 404
      { id: 'urn:b:gone', mutate: deleteEntity('urn:b:gone') },
      { id: 'urn:b:gone', mutate: createEntity(thing('urn:b:gone', 9), now()) },
      { id: 'urn:b:1', mutate: increment },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true, true]);
    expect(((outcomes[1] as { error: NgsiError }).error).errorType).toBe('ResourceNotFound');
    expect((await b.store.getEntity('', 'urn:b:1'))!.attrs[N][0].value).toBe(2);
    expect(await b.store.getEntity('', 'urn:b:2')).toBeUndefined();
    expect((await b.store.getEntity('', 'urn:b:gone'))!.attrs[N][0].value).toBe(9);
    expect(seen.map((c) => `${c.op} ${c.id}`)).toEqual(['created urn:b:1', 'deleted urn:b:gone', 'created urn:b:gone', 'updated urn:b:1']);
    expect(seen[3].attributes).toMatchObject([{ name: N, kind: 'updated', previous: { value: 1 }, current: { value: 2 } }]);
    expect(await recorded('urn:b:2')).toEqual([]);
    const page = await b.store.queryEntities('', { entities: [{ idPattern: '^urn:b:' }], expand: (t) => t, limit: 10, offset: 0, count: true });
    expect(page.entities.map((e: Entity) => e.id)).toEqual(['urn:b:1', 'urn:b:gone']);
    // The default tenant is listed once it has data (what `urbis export` reads).
    expect(await b.store.tenants()).toEqual(['']);
  });

  it('fails only the entity whose change recorder throws; what the recorders deferred for it is rolled back', async () => {
    b.store.addChangeRecorder((c) => {
      if (c.id === 'urn:r:bad') throw new Error('refused by a recorder');
    });
    const outcomes = await b.store.mutateEntities(
      '',
      ['urn:r:1', 'urn:r:bad', 'urn:r:2'].map((id) => ({ id, mutate: createEntity(thing(id, 1), now()) })),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(((outcomes[1] as { error: Error }).error).message).toBe('refused by a recorder');
    expect(await a.store.getEntity('', 'urn:r:bad')).toBeUndefined();
    expect(await recorded('urn:r:bad')).toEqual([]);
    expect(await recorded('urn:r:1')).toEqual(['created']);
    expect(await recorded('urn:r:2')).toEqual(['created']);
    await expect(b.store.mutateEntity('', 'urn:r:bad', createEntity(thing('urn:r:bad', 1), now()))).rejects.toThrow('refused by a recorder');
    expect(await recorded('urn:r:bad')).toEqual([]);
  });
});

describe('what PostgreSQL cannot store', () => {
  it('is refused as BadRequestData, only for the entity that has it', async () => {
    const bad = (id: string) => ({ id, types: [THING], attrs: { [N]: [{ type: 'Property' as const, value: 'a\u0000b' }] } });
    await expect(a.store.mutateEntity('', 'urn:nul:1', createEntity(bad('urn:nul:1'), now()))).rejects.toMatchObject({ errorType: 'BadRequestData' });
    const outcomes = await a.store.mutateEntities('', [
      { id: 'urn:nul:2', mutate: createEntity(bad('urn:nul:2'), now()) },
      { id: 'urn:nul:3', mutate: createEntity({ ...bad('urn:nul:3'), attrs: { [N]: [{ type: 'Property', value: 'lone \ud800' }] } }, now()) },
      { id: 'urn:nul:4', mutate: createEntity(thing('urn:nul:4', 1), now()) },
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, true]);
    expect(await b.store.getEntity('', 'urn:nul:2')).toBeUndefined();
    expect(await b.store.getEntity('', 'urn:nul:4')).toBeDefined();
  });
});

describe('geometries', () => {
  it('follow their GeoProperty through updates, kind changes and deletions', async () => {
    const LOCATION = 'https://uri.etsi.org/ngsi-ld/location';
    const at = (lon: number) => ({ type: 'GeoProperty' as const, value: { type: 'Point', coordinates: [lon, 41] } });
    const near = async (lon: number) => {
      const geoQ = { georel: parseGeorel('near;maxDistance==100'), geometry: { type: 'Point' as const, coordinates: [lon, 41] as [number, number] }, geoproperty: LOCATION };
      return (await b.store.queryEntities('', { geoQ, expand: (t) => t, limit: 10, offset: 0, count: false })).entities.map((e) => e.id);
    };
    const setLocation = (inst: Entity['attrs'][string][number]): EntityMutator<void> => (current) => ({
      next: { ...current!, modifiedAt: now(), attrs: { ...current!.attrs, [LOCATION]: [inst] } },
      result: undefined,
    });
    await a.store.mutateEntity('', 'urn:g:1', createEntity({ id: 'urn:g:1', types: [THING], attrs: { [LOCATION]: [at(2)] } }, now()));
    expect(await near(2)).toEqual(['urn:g:1']);
    await a.store.mutateEntity('', 'urn:g:1', setLocation(at(3)));
    expect(await near(2)).toEqual([]);
    expect(await near(3)).toEqual(['urn:g:1']);
    await a.store.mutateEntity('', 'urn:g:1', setLocation({ type: 'Property', value: { type: 'Point', coordinates: [3, 41] } }));
    expect(await near(3)).toEqual([]);
    await a.store.mutateEntity('', 'urn:g:1', setLocation(at(4)));
    expect(await near(4)).toEqual(['urn:g:1']);
    await a.store.mutateEntity('', 'urn:g:1', deleteEntity('urn:g:1'));
    expect(await near(4)).toEqual([]);
    expect(await a.db.query('SELECT * FROM geo_index')).toEqual([]);
  });
});

describe('contexts', () => {
  it('registered on one node are served by the synchronous look-up of the other', async () => {
    const url = 'https://example.org/ctx.jsonld';
    await a.store.saveContext('t1', { id: 'c1', url, kind: 'Cached', body: { '@context': { n: N } }, createdAt: now(), hits: 0 });
    expect(a.store.lookupContextByUrl('t1', url)).toEqual({ '@context': { n: N } });
    await until(() => b.store.lookupContextByUrl('t1', url) !== undefined);
    expect(b.store.lookupContextByUrl('t1', url)).toEqual({ '@context': { n: N } });
    expect(b.store.lookupContextByUrl('', url)).toBeUndefined();
    expect(await b.store.deleteContext('t1', 'c1')).toBe(true);
    await until(() => a.store.lookupContextByUrl('t1', url) === undefined);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
