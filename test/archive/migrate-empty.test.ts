/**
 * `urbis migrate` on an empty database (a new SQLite data directory, or a new PostgreSQL database
 * in the postgres run) creates every component's schema and says so; a second run does nothing;
 * a server then starts on it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/process.js';
import { startServer, testStore } from '../helpers/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'urbis-migrate-empty-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('urbis migrate on an empty database', () => {
  it('creates every component, then has nothing to do', async () => {
    const store = await testStore(dir);
    const where = store ? ['--store', store] : ['--data-dir', dir];
    const urbis = (args: string[]) => spawnSync('node', [BIN, ...args, ...where], { encoding: 'utf8', env: { ...process.env, URBIS_STORE: '' } });
    const first = urbis(['migrate']);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    for (const component of ['broker', 'temporal', 'subscriptions', 'identity', 'audit', 'ingest']) {
      expect(first.stdout).toMatch(new RegExp(`${component} +version 0 → \\d+ \\(created\\)`));
    }
    const second = urbis(['migrate']);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/nothing to do/);
    const s = await startServer({ store, dataDir: dir });
    try {
      expect((await s.request('POST', '/ngsi-ld/v1/entities', { body: { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp' } })).status).toBe(201);
    } finally {
      await s.close();
    }
  });
});
