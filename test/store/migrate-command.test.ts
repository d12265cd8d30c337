/**
 * `urbis migrate` and `urbis start` on a database of the previous schema version: start refuses
 * and says what to run, migrate upgrades every component and reports it, and the data written
 * before is served afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/database.js';
import { registerSqlFunctions } from '../../src/store/sqlite/functions.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { TEMPORAL_MIGRATIONS } from '../../src/store/sqlite/temporal-store.js';
import { BIN } from '../helpers/process.js';
import { startServer } from '../helpers/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'urbis-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const urbis = (args: string[]) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, URBIS_STORE: '' } });

describe('urbis migrate', () => {
  it('upgrades a database of the previous schema version, which start refuses until then', async () => {
    // The previous release's schema: broker and history one version behind, with an entity in it.
    const db = new Database(path.join(dir, 'urbis.db'));
    db.pragma('journal_mode = WAL');
    registerSqlFunctions(db);
    migrate(db, 'broker', MIGRATIONS.slice(0, MIGRATIONS.length - 1));
    migrate(db, 'temporal', TEMPORAL_MIGRATIONS.slice(0, TEMPORAL_MIGRATIONS.length - 1));
    db.prepare("INSERT INTO tenants (name, created_at) VALUES ('', '2026-01-01T00:00:00Z')").run();
    const { lastInsertRowid: pk } = db
      .prepare("INSERT INTO entities (tenant, id, types, scopes, created_at, modified_at) VALUES ('', 'urn:ngsi-ld:Lamp:1', ?, NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
      .run(JSON.stringify(['https://uri.etsi.org/ngsi-ld/default-context/Lamp']));
    db.prepare("INSERT INTO entity_types (tenant, type, entity_pk) VALUES ('', 'https://uri.etsi.org/ngsi-ld/default-context/Lamp', ?)").run(pk);
    db.close();

    const refused = urbis(['start', '--data-dir', dir, '--port', '0', '--no-demo', '--mqtt', 'off']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/broker schema is at version \d+, and this Urbis needs version \d+.*run `urbis migrate`/);

    const migrated = urbis(['migrate', '--data-dir', dir]);
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`broker +version ${MIGRATIONS.length - 1} → ${MIGRATIONS.length}`));
    expect(migrated.stdout).toMatch(new RegExp(`temporal +version ${TEMPORAL_MIGRATIONS.length - 1} → ${TEMPORAL_MIGRATIONS.length}`));
    expect(migrated.stdout).toMatch(/identity +version 0 → \d+ \(created\)/);

    const again = urbis(['migrate', '--data-dir', dir]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/nothing to do/);

    const s = await startServer({ store: '', dataDir: dir });
    try {
      const r = await s.request('GET', '/ngsi-ld/v1/entities?type=Lamp');
      expect(r.status).toBe(200);
      expect(r.json.map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Lamp:1']);
    } finally {
      await s.close();
    }
  });
});
