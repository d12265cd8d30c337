/**
 * The audit trail through the real server and the real `urbis audit verify`: what is recorded
 * (writes with actor, purpose and client; denials; sign-ins; restricted reads; policy changes),
 * the auditor's filters, and that editing or deleting a record in the database (the SQLite file, or
 * PostgreSQL in the PostgreSQL run) is detected and named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { onPostgres, startServer, testStore, type TestServer } from '../helpers/server.js';
import { bearer, securedServer, urbis } from '../identity/helpers.js';

let server: TestServer;
let dataDir: string;
let admin: Record<string, string>;
let auditor: Record<string, string>;
let adminSubject: string;

/** Runs SQL on the server's database behind its back, as someone tampering with the log would. */
async function openDatabase(dir: string): Promise<{ run(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>; close(): Promise<void> }> {
  if (onPostgres) {
    const client = new pg.Client({ connectionString: await testStore(dir) });
    await client.connect();
    return {
      run: async (sql, params = []) => {
        let i = 0;
        return (await client.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows;
      },
      close: () => client.end(),
    };
  }
  const db = new Database(path.join(dir, 'urbis.db'));
  return {
    run: async (sql, params = []) => (/^\s*select/i.test(sql) ? (db.prepare(sql).all(...params) as Array<Record<string, unknown>>) : (db.prepare(sql).run(...params), [])),
    close: async () => void db.close(),
  };
}

const records = async (query: string) => {
  const r = await server.request('GET', `/audit/records?${query}`, { headers: auditor });
  expect(r.status, r.text).toBe(200);
  return r.json as { total: number; records: Array<Record<string, any>> };
};

beforeAll(async () => {
  const s = await securedServer();
  server = s.server;
  dataDir = s.dataDir;
  admin = bearer(s.adminKey);
  adminSubject = (await server.request('GET', '/auth/me', { headers: admin })).json.subject;
  const k = await server.request('POST', '/auth/keys', { headers: admin, body: { name: 'auditor', roles: ['auditor'] } });
  auditor = bearer(k.json.key);
  await server.request('POST', '/auth/users', { headers: admin, body: { username: 'olga', roles: ['operator'], password: 'olga-has-a-long-password' } });
  await server.request('PUT', '/auth/policy', { headers: admin, body: { types: { HealthRecord: { read: ['admin'], write: ['admin'] } } } });
  const created = await server.request('POST', '/ngsi-ld/v1/entities', {
    headers: { ...admin, 'Urbis-Purpose': 'commissioning the plaza sensors' },
    body: { id: 'urn:ngsi-ld:Building:audited', type: 'Building', height: { type: 'Property', value: 3 } },
  });
  expect(created.status).toBe(201);
  await server.request('POST', '/ngsi-ld/v1/entities', { headers: admin, body: { id: 'urn:ngsi-ld:HealthRecord:p1', type: 'HealthRecord' } });
  await server.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:HealthRecord:p1', { headers: { ...admin, 'Urbis-Purpose': 'case review' } });
  await server.request('POST', '/auth/login', { body: { username: 'olga', password: 'wrong password!' } });
  await server.request('POST', '/auth/login', { body: { username: 'olga', password: 'olga-has-a-long-password' } });
  await server.request('DELETE', '/ngsi-ld/v1/entities/urn:ngsi-ld:Building:audited', { headers: auditor });
  await server.request('DELETE', '/ngsi-ld/v1/entities/urn:ngsi-ld:Building:audited');
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('what is recorded', () => {
  it('a write: who, what, when, from where, and the declared purpose', async () => {
    const { records: rs } = await records('operation=entity.create&resource=urn:ngsi-ld:Building:audited');
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ actor: adminSubject, operation: 'entity.create', outcome: 'success', client: '127.0.0.1', purpose: 'commissioning the plaza sensors', tenant: '' });
    expect(Date.now() - Date.parse(rs[0].at)).toBeLessThan(60_000);
    expect(rs[0].hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('denied writes, by a signed-in principal (403) and anonymously (401)', async () => {
    const { records: rs } = await records('outcome=denied&resource=/ngsi-ld/v1/entities/urn:ngsi-ld:Building:audited');
    expect(rs.map((r) => r.detail).sort()).toEqual(['HTTP 401', 'HTTP 403']);
    expect(rs.map((r) => r.operation)).toEqual(['DELETE /ngsi-ld/v1/entities/:entityId', 'DELETE /ngsi-ld/v1/entities/:entityId']);
    expect(rs.map((r) => r.actor)).toContain('anonymous');
  });

  it('sign-ins, failed and successful', async () => {
    const { records: rs } = await records('operation=login&actor=olga');
    expect(rs.map((r) => [r.outcome, r.detail])).toEqual([
      ['denied', 'invalid'],
      ['success', 'password'],
    ]);
  });

  it('reads of restricted data and policy changes', async () => {
    const reads = await records('operation=entity.read');
    expect(reads.records).toHaveLength(1);
    expect(reads.records[0]).toMatchObject({ resource: 'urn:ngsi-ld:HealthRecord:p1', purpose: 'case review', actor: adminSubject });
    const policy = await records('operation=policy.*');
    expect(policy.records).toHaveLength(1);
    expect(policy.records[0].operation).toBe('policy.update');
    expect(JSON.parse(policy.records[0].detail).types).toHaveProperty(['https://uri.etsi.org/ngsi-ld/default-context/HealthRecord']);
  });

  it('writes of the device gateway, whatever request happens to be served meanwhile', async () => {
    const svc = await server.request('POST', '/iot/services', { headers: admin, body: { services: [{ apikey: 'audit-key', entity_type: 'Thermometer', attributes: [{ object_id: 't', name: 'temperature', type: 'Number' }] }] } });
    expect(svc.status, svc.text).toBe(201);
    expect((await server.request('POST', '/iot/devices', { headers: admin, body: { devices: [{ device_id: 'th1', apikey: 'audit-key' }] } })).status).toBe(201);
    // A measure over HTTP: the device authenticates with the service's API key, not as a principal.
    const m = await server.request('POST', '/iot/ul?k=audit-key&i=th1', { rawBody: 't|21.5', headers: { 'content-type': 'text/plain' } });
    expect(m.status, m.text).toBeLessThan(300);
    const { records: rs } = await records('operation=entity.update&resource=urn:ngsi-ld:Thermometer:th1');
    expect(rs.length).toBeGreaterThan(0);
    expect(rs[rs.length - 1]).toMatchObject({ actor: 'iot-gateway', client: 'device gateway', outcome: 'success' });
  });

  it('filters by time range and pages', async () => {
    const all = await records('limit=1000');
    expect(all.total).toBe(all.records.length);
    expect(all.records.map((r) => r.seq)).toEqual(all.records.map((_, i) => i + 1));
    const page = await records('limit=2&offset=1');
    expect(page.total).toBe(all.total);
    expect(page.records.map((r) => r.seq)).toEqual([2, 3]);
    expect((await records('to=2000-01-01T00:00:00Z')).total).toBe(0);
    expect((await records(`from=${encodeURIComponent(all.records[2].at)}`)).records[0].seq).toBeLessThanOrEqual(3);
    expect((await server.request('GET', '/audit/records?from=yesterday', { headers: auditor })).status).toBe(400);
  });
});

describe('tamper evidence', () => {
  it('verify passes on an intact log, and names an edited and a deleted record', async () => {
    const api = await server.request('GET', '/audit/verify', { headers: auditor });
    expect(api.json).toMatchObject({ ok: true });
    const total = api.json.checked as number;
    expect(total).toBeGreaterThan(8);
    await server.close();

    const ok = await urbis(['audit', 'verify'], dataDir);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`intact: ${total} records`));

    const db = await openDatabase(dataDir);
    const original = (await db.run('SELECT actor FROM audit_records WHERE seq = 4'))[0].actor;
    await db.run("UPDATE audit_records SET actor = 'mallory' WHERE seq = 4");
    const edited = await urbis(['audit', 'verify'], dataDir);
    expect(edited.status).toBe(1);
    expect(edited.stdout).toMatch(/BROKEN at record 4: record 4 was altered/);

    await db.run('UPDATE audit_records SET actor = ? WHERE seq = 4', [original]);
    expect((await urbis(['audit', 'verify'], dataDir)).status).toBe(0);
    // Cutting records off the end is detected: the log remembers its head.
    await db.run('DELETE FROM audit_records WHERE seq >= ?', [total - 1]);
    const cut = await urbis(['audit', 'verify'], dataDir);
    expect(cut.status).toBe(1);
    expect(cut.stdout).toContain(`BROKEN at record ${total - 1}: records ${total - 1} to ${total} are missing from the end of the log`);
    await db.run('DELETE FROM audit_records WHERE seq = 6');
    await db.close();
    const deleted = await urbis(['audit', 'verify'], dataDir);
    expect(deleted.status).toBe(1);
    expect(deleted.stdout).toMatch(/BROKEN at record 6: record 6 is missing: the chain jumps from record 5 to record 7/);

    // The server reports the same through the API.
    server = await startServer({ open: false, dataDir });
    const again = await server.request('GET', '/audit/verify', { headers: auditor });
    expect(again.json.ok).toBe(false);
    expect(again.json.broken.seq).toBe(6);
  });
});
