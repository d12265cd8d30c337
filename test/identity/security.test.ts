/**
 * HTTP security through the real server: security headers on every answer (HSTS only with
 * --https), the CORS allow-list and its preflights, and the rate limits (per client address, per
 * API key, sign-in attempts) answering 429 with Retry-After.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers/server.js';
import { bearer, securedServer } from './helpers.js';

const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const start = async (overrides: Parameters<typeof startServer>[0]) => {
  const s = await startServer(overrides);
  servers.push(s);
  return s;
};

describe('security headers', () => {
  it('are on successes and errors; HSTS only when clients come over HTTPS', async () => {
    const s = await start({ open: false });
    for (const r of [await s.request('GET', '/health'), await s.request('GET', '/auth/users'), await s.request('GET', '/docs')]) {
      // The /docs page sets a stricter policy of its own.
      expect(r.headers.get('content-security-policy')).toMatch(/default-src '(self|none)'.*frame-ancestors 'none'/);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('strict-transport-security')).toBeNull();
    }
    const tls = await start({ open: false, https: true });
    expect((await tls.request('GET', '/health')).headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
  });
});

describe('CORS', () => {
  it('answers allowed origins (with credentials) and refuses the others', async () => {
    const s = await start({ open: false, corsOrigins: ['https://ops.city.example'] });
    const ok = await s.request('GET', '/health', { headers: { origin: 'https://ops.city.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ops.city.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('vary')).toMatch(/Origin/);
    const other = await s.request('GET', '/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = { 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type, ngsild-tenant' };
    const pre = await s.request('OPTIONS', '/ngsi-ld/v1/entities/urn:ngsi-ld:X:1/attrs', { headers: { origin: 'https://ops.city.example', ...preflight } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/NGSILD-Tenant/);
    const bad = await s.request('OPTIONS', '/ngsi-ld/v1/entities', { headers: { origin: 'https://evil.example', ...preflight } });
    expect(bad.status).toBe(403);
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('rate limits', () => {
  it('per client address: 429 with Retry-After once the budget is spent', async () => {
    const s = await start({ open: true, rateLimit: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await s.request('GET', '/health')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const r = await s.request('GET', '/health');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/TooManyRequests');
  });

  it('per API key: one key spending its budget does not stop another', async () => {
    const { server, adminKey, dataDir } = await securedServer({ keyRateLimit: 4 });
    servers.push(server);
    dirs.push(dataDir);
    const other = (await server.request('POST', '/auth/keys', { headers: bearer(adminKey), body: { roles: ['analyst'] } })).json.key;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await server.request('GET', '/auth/me', { headers: bearer(adminKey) })).status);
    // The admin key made 1 request before (creating the other key) and 4 now.
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await server.request('GET', '/auth/me', { headers: bearer(adminKey) })).headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await server.request('GET', '/auth/me', { headers: bearer(other) })).status).toBe(200);
  });

  it('sign-in attempts: 10 a minute per client address', async () => {
    const s = await start({ open: false });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await s.request('POST', '/auth/login', { body: { username: 'nobody', password: 'guess' } })).status);
    expect(statuses.slice(0, 10).every((st) => st === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });
});
