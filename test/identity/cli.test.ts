/**
 * The identity commands (the compiled `urbis`) on a data directory, and their effect on a server
 * running on the same directory: user add/list/disable, key create/revoke.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import type { TestServer } from '../helpers/server.js';
import { bearer, securedServer, urbis } from './helpers.js';

let server: TestServer;
let dataDir: string;
let adminKey: string;

beforeAll(async () => {
  ({ server, dataDir, adminKey } = await securedServer());
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('urbis key', () => {
  it('create --role admin prints a key usable as Authorization: Bearer <key>; revoke stops it at once', async () => {
    const me = await server.request('GET', '/auth/me', { headers: bearer(adminKey) });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ roles: ['admin'], method: 'api-key', scopes: ['read', 'write'] });
    const created = await urbis(['key', 'create', '--role', 'device', '--name', 'sensor gateway', '--scopes', 'write'], dataDir);
    expect(created.status).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^urbis_[0-9a-f]{16}_[A-Za-z0-9_-]+$/);
    const list = await urbis(['key', 'list'], dataDir);
    const id = key.split('_')[1];
    expect(list.stdout).toMatch(new RegExp(`${id}\\t\\(default\\)\\tsensor gateway\\tdevice\\twrite\\tactive`));
    expect(list.stdout).not.toContain(key.split('_').slice(2).join('_'));
    const write = await server.request('POST', '/ngsi-ld/v1/entities', { headers: bearer(key), body: { id: 'urn:ngsi-ld:Building:cli', type: 'Building' } });
    expect(write.status).toBe(201);
    const revoked = await urbis(['key', 'revoke', id], dataDir);
    expect(revoked.status).toBe(0);
    expect((await server.request('POST', '/ngsi-ld/v1/entities', { headers: bearer(key), body: { id: 'urn:ngsi-ld:Building:cli2', type: 'Building' } })).status).toBe(401);
    expect((await urbis(['key', 'revoke', 'ffffffffffffffff'], dataDir)).status).toBe(1);
    expect((await urbis(['key', 'create', '--role', 'mayor'], dataDir)).status).toBe(2);
  });
});

describe('urbis user', () => {
  it('add prints a one-time password; list shows the account; disable stops its sign-in', async () => {
    const added = await urbis(['user', 'add', 'sam', '--role', 'data-steward', '--department', 'transport'], dataDir);
    expect(added.status).toBe(0);
    const password = added.stdout.trim().split('\n').pop()!;
    const login = await server.request('POST', '/auth/login', { body: { username: 'sam', password } });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ roles: ['data-steward'], department: 'transport', mustChangePassword: true });
    expect((await urbis(['user', 'list'], dataDir)).stdout).toMatch(/\(default\)\tsam\tdata-steward\ttransport\tmust change password/);
    expect((await urbis(['user', 'disable', 'sam'], dataDir)).status).toBe(0);
    expect((await server.request('POST', '/auth/login', { body: { username: 'sam', password } })).status).toBe(401);
    expect((await urbis(['user', 'list'], dataDir)).stdout).toMatch(/sam\tdata-steward\ttransport\tdisabled/);
    expect((await urbis(['user', 'disable', 'nobody'], dataDir)).status).toBe(1);
    // What the commands did is in the audit log, from "cli".
    const auditorKey = (await urbis(['key', 'create', '--role', 'auditor'], dataDir)).stdout.trim();
    const ops = await server.request('GET', '/audit/records?resource=account:sam', { headers: bearer(auditorKey) });
    expect(ops.json.records.map((r: { operation: string; client: string }) => `${r.operation} ${r.client}`)).toEqual(
      expect.arrayContaining(['account.create cli', 'account.disable cli', 'login 127.0.0.1']),
    );
  });
});

describe('accounts of another tenant', () => {
  it('sign in to their tenant and act only on it', async () => {
    expect((await urbis(['user', 'add', 'tom', '--role', 'operator', '--tenant', 'north', '--password', 'tom-has-a-long-password'], dataDir)).status).toBe(0);
    const north = { 'NGSILD-Tenant': 'north' };
    const login = await server.request('POST', '/auth/login', { headers: north, body: { username: 'tom', password: 'tom-has-a-long-password' } });
    expect(login.status).toBe(200);
    expect(login.json.tenant).toBe('north');
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    // Not an account of the default tenant.
    expect((await server.request('POST', '/auth/login', { body: { username: 'tom', password: 'tom-has-a-long-password' } })).status).toBe(401);
    const created = await server.request('POST', '/ngsi-ld/v1/entities', { headers: { cookie, ...north }, body: { id: 'urn:ngsi-ld:Building:n1', type: 'Building' } });
    expect(created.status).toBe(201);
    expect((await server.request('GET', '/ngsi-ld/v1/entities?local=true', { headers: { cookie, ...north } })).json.map((e: { id: string }) => e.id)).toEqual(['urn:ngsi-ld:Building:n1']);
    expect((await server.request('GET', '/ngsi-ld/v1/entities?local=true', { headers: { cookie } })).status).toBe(403);
    // The default tenant's admin cannot reach into north either.
    expect((await server.request('GET', '/ngsi-ld/v1/entities?local=true', { headers: { ...bearer(adminKey), ...north } })).status).toBe(403);
  });
});
