/**
 * `visibleEntity(principal, tenant, entity)`, the function other features (temporal history,
 * notifications) call to filter what a principal may see of an entity, on a real SQLite store
 * holding the tenant policies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../src/store/sqlite/database.js';
import { SqliteIdentityStore } from '../../src/store/sqlite/identity-store.js';
import { AccessControl } from '../../src/identity/access.js';
import { parsePolicy } from '../../src/identity/policy.js';
import type { Principal } from '../../src/identity/principal.js';
import type { Entity } from '../../src/broker/model.js';

const D = 'https://uri.etsi.org/ngsi-ld/default-context/';
let dir: string;
let db: Db;
let access: AccessControl;

const who = (roles: Principal['roles'], subject = 'x'): Principal => ({ tenant: 'city', subject, roles, method: 'api-key' });
const entity = (type: string, attrs: Record<string, unknown>): Entity => ({
  id: `urn:ngsi-ld:${type}:1`,
  types: [D + type],
  attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [D + k, [{ type: 'Property' as const, value: v }]])),
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'urbis-visible-'));
  db = openDatabase(path.join(dir, 'urbis.db'));
  const store = new SqliteIdentityStore(db);
  access = new AccessControl(store);
  await access.load();
  const policy = parsePolicy({ types: { Parking: { read: 'public' }, Patient: { read: ['admin'] } }, attributes: { plate: ['operator'] } }, (t) => D + t);
  await access.setPolicy('city', policy, () => {});
});

afterAll(() => {
  db.close();
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
    const again = new AccessControl(new SqliteIdentityStore(db));
    await again.load();
    expect(again.visibleEntity(who(['operator']), 'city', entity('Patient', {}))).toBeUndefined();
    expect(again.visibleEntity(who([]), 'city', entity('Parking', {}))).toBeDefined();
  });
});
