/**
 * Local accounts through the real server: sign-in with the session cookie and its flags, sign-out,
 * lock-out after repeated failures, one-time passwords that must be changed, disabling; the first
 * start (an admin with a one-time password in the log), --open announced in the log and /health,
 * and demo accounts only in demo mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { startUrbisProcess } from '../helpers/process.js';
import { bearer, securedServer } from './helpers.js';

let server: TestServer;
let dataDir: string;
let admin: Record<string, string>;

const login = (username: string, password: string) => server.request('POST', '/auth/login', { body: { username, password } });
const cookieOf = (r: { headers: Headers }) => r.headers.get('set-cookie')!.split(';')[0];

beforeAll(async () => {
  const s = await securedServer();
  server = s.server;
  dataDir = s.dataDir;
  admin = bearer(s.adminKey);
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sign-in with a password', () => {
  it('sets a Secure, HttpOnly, SameSite=Strict session cookie that signs later requests in, until sign-out', async () => {
    await server.request('POST', '/auth/users', { headers: admin, body: { username: 'ana', roles: ['analyst'], password: 'ana-has-a-long-password' } });
    const r = await login('ana', 'ana-has-a-long-password');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ username: 'ana', roles: ['analyst'], mustChangePassword: false });
    const flags = r.headers.get('set-cookie')!.split(';').map((f) => f.trim());
    expect(flags[0]).toMatch(/^urbis_session=[A-Za-z0-9_-]{40,}$/);
    expect(flags).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']));
    const cookie = cookieOf(r);
    const me = await server.request('GET', '/auth/me', { headers: { cookie } });
    expect(me.json).toMatchObject({ subject: 'ana', roles: ['analyst'], method: 'session' });
    const out = await server.request('POST', '/auth/logout', { headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^urbis_session=; .*Max-Age=0/);
    expect((await server.request('GET', '/auth/me', { headers: { cookie } })).status).toBe(401);
  });

  it('locks the account after 5 failures in a row: then even the right password fails', async () => {
    // A server of its own: sign-in attempts per client address are limited (10 a minute).
    const own = await securedServer();
    try {
      const headers = bearer(own.adminKey);
      await own.server.request('POST', '/auth/users', { headers, body: { username: 'lena', roles: ['operator'], password: 'lena-has-a-long-password' } });
      const attempt = (password: string) => own.server.request('POST', '/auth/login', { body: { username: 'lena', password } });
      for (let i = 0; i < 5; i++) {
        const r = await attempt(`wrong-${i}`);
        expect(r.status).toBe(401);
        expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/Unauthorized');
      }
      expect((await attempt('lena-has-a-long-password')).status).toBe(401);
      const users = await own.server.request('GET', '/auth/users', { headers });
      expect(users.json.find((u: { username: string }) => u.username === 'lena').locked).toBe(true);
    } finally {
      await own.server.close();
      rmSync(own.dataDir, { recursive: true, force: true });
    }
  });

  it('a one-time password signs in only to change it', async () => {
    const created = await server.request('POST', '/auth/users', { headers: admin, body: { username: 'otto', roles: ['operator'] } });
    expect(created.status).toBe(201);
    const oneTime = created.json.oneTimePassword as string;
    expect(oneTime.length).toBeGreaterThanOrEqual(12);
    const r = await login('otto', oneTime);
    expect(r.json.mustChangePassword).toBe(true);
    const cookie = cookieOf(r);
    const blocked = await server.request('GET', '/ngsi-ld/v1/entities?local=true', { headers: { cookie } });
    expect(blocked.status).toBe(403);
    expect(blocked.json.detail).toMatch(/change the one-time password/);
    expect((await server.request('POST', '/auth/password', { headers: { cookie }, body: { currentPassword: oneTime, newPassword: 'short' } })).status).toBe(400);
    const other = cookieOf(await login('otto', oneTime));
    const changed = await server.request('POST', '/auth/password', { headers: { cookie }, body: { currentPassword: oneTime, newPassword: 'otto-chose-a-long-one' } });
    expect(changed.status).toBe(204);
    // Sessions opened with the old password end; this one goes on with a new cookie.
    expect((await server.request('GET', '/auth/me', { headers: { cookie: other } })).status).toBe(401);
    expect((await server.request('GET', '/auth/me', { headers: { cookie } })).status).toBe(401);
    expect((await server.request('GET', '/ngsi-ld/v1/entities?local=true', { headers: { cookie: cookieOf(changed) } })).status).toBe(200);
    expect((await login('otto', oneTime)).status).toBe(401);
  });

  it('disabling an account ends its sessions and its sign-ins', async () => {
    await server.request('POST', '/auth/users', { headers: admin, body: { username: 'dora', roles: ['operator'], password: 'dora-has-a-long-password' } });
    const cookie = cookieOf(await login('dora', 'dora-has-a-long-password'));
    expect((await server.request('PATCH', '/auth/users/dora', { headers: admin, body: { disabled: true } })).status).toBe(204);
    expect((await server.request('GET', '/auth/me', { headers: { cookie } })).status).toBe(401);
    expect((await login('dora', 'dora-has-a-long-password')).status).toBe(401);
  });

  it('rejects bad account input with ProblemDetails naming it', async () => {
    const r = await server.request('POST', '/auth/users', { headers: admin, body: { username: 'x', roles: ['mayor'] } });
    expect(r.status).toBe(400);
    expect(r.json.detail).toMatch(/roles must name one or more of admin, operator/);
    const dup = await server.request('POST', '/auth/users', { headers: admin, body: { username: 'ana', roles: ['analyst'] } });
    expect(dup.status).toBe(400);
  });
});

describe('start-up', () => {
  it('the first start creates an admin and prints its one-time password; access control is on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urbis-first-'));
    const p = await startUrbisProcess(dir, [], { URBIS_OPEN: '0' });
    try {
      const m = /"password":"([^"]+)".*first start: created the account \\"admin\\"/.exec(p.logs());
      expect(m, p.logs()).not.toBeNull();
      const health = await (await fetch(`${p.base}/health`)).json();
      expect(health.accessControl).toBe('on');
      const r = await fetch(`${p.base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: m![1] }) });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { mustChangePassword: boolean }).mustChangePassword).toBe(true);
      const write = await fetch(`${p.base}/ngsi-ld/v1/entities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'urn:ngsi-ld:Building:b', type: 'Building' }) });
      expect(write.status).toBe(401);
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--open says so loudly in the log and in /health', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urbis-open-'));
    const p = await startUrbisProcess(dir, ['--open']);
    try {
      expect(p.logs()).toMatch(/"level":40.*ACCESS CONTROL IS OFF/);
      expect(((await (await fetch(`${p.base}/health`)).json()) as { accessControl: string }).accessControl).toBe('off');
      expect((await fetch(`${p.base}/ngsi-ld/v1/entities?local=true`)).status).toBe(200);
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo accounts exist only while the demo runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'urbis-demo-'));
    try {
      let s = await startServer({ open: false, demo: true, dataDir: dir });
      const r = await s.request('POST', '/auth/login', { body: { username: 'demo-operator', password: 'demo-operator-only-for-the-demo' } });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ roles: ['operator'], demo: true });
      await s.close();
      s = await startServer({ open: false, demo: false, dataDir: dir });
      expect((await s.request('POST', '/auth/login', { body: { username: 'demo-operator', password: 'demo-operator-only-for-the-demo' } })).status).toBe(401);
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
