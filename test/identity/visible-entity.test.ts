/**
 * `visibleEntity(principal, tenant, entity)`, the function other features (temporal history,
 * notifications) call to filter what a principal may see of an entity, on a real store holding the
 * tenant policies (SQLite, or PostgreSQL in the PostgreSQL run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStores } from '../../src/store/open.js';
import type { Stores } from '../../src/store/stores.js';
import { testStore } from '../helpers/server.js';
import { AccessControl } from '../../src/identity/access.js';
import { parsePolicy } from '../../src/identity/policy.js';
import type { Principal } from '../../src/identity/principal.js';
import type { Entity } from '../../src/broker/model.js';

const D = 'https://uri.etsi.org/ngsi-ld/default-context/';
let dir: string;
let where: { dataDir: string; store: string };
let stores: Stores;
let access: AccessControl;

const who = (roles: Principal['roles'], subject = 'x'): Principal => ({ tenant: 'city', subject, roles, method: 'api-key' });
const entity = (type: string, attrs: Record<string, unknown>): Entity => ({
  id: `urn:ngsi-ld:${type}:1`,
  types: [D + type],
  attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [D + k, [{ type: 'Property' as const, value: v }]])),
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'urbis-visible-'));
  where = { dataDir: dir, store: await testStore(dir) };
  stores = await openStores(where);
  access = new AccessControl(stores.identity);
  await access.load();
  const policy = parsePolicy({ types: { Parking: { read: 'public' }, Patient: { read: ['admin'] } }, attributes: { plate: ['operator'] } }, (t) => D + t);
  await access.setPolicy('city', policy, () => {});
});

afterAll(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('visibleEntity', () => {
  it('keeps what the principal may see and drops the rest', () => {
    const parking = entity('Parking', { free: 3, plate: 'AB-123' });
    expect(access.visibleEntity(who([]), 'city', parking)?.attrs).toEqual({ [D + 'free']: [{ type: 'Property', value: 3 }] });
    expect(Object.keys(access.visibleEntity(who(['operator']), 'city', parking)!.attrs).sort()).toEqual([D + 'free', D + 'plate']);
    const patient = entity('Patient', { name: 'N' });
    expect(access.visibleEntity(who(['operator']), 'city', patient)).toBeUndefined();
    expect(access.visibleEntity(who(['admin']), 'city', patient)).toEqual(patient);
    // Internal by default; another tenant has the default policy.
    expect(access.visibleEntity(who([]), 'city', entity('Building', {}))).toBeUndefined();
    expect(access.visibleEntity(who(['analyst']), 'city', entity('Building', {}))).toBeDefined();
    expect(access.visibleEntity(who([]), 'elsewhere', parking)).toBeUndefined();
  });

  it('lets residents see their own records', () => {
    const mine: Entity = { id: 'urn:ngsi-ld:Report:1', types: [D + 'Report'], attrs: { [D + 'owner']: [{ type: 'Relationship', object: 'urn:ngsi-ld:Person:rita' }] } };
    expect(access.visibleEntity(who(['resident'], 'rita'), 'city', mine)).toBeDefined();
    expect(access.visibleEntity(who(['resident'], 'rudi'), 'city', mine)).toBeUndefined();
  });

  it('keeps policies across restarts (they are in the store)', async () => {
    await stores.close();
    stores = await openStores(where);
    const again = new AccessControl(stores.identity);
    await again.load();
    expect(again.visibleEntity(who(['operator']), 'city', entity('Patient', {}))).toBeUndefined();
    expect(again.visibleEntity(who([]), 'city', entity('Parking', {}))).toBeDefined();
  });
});
