/**
 * Single sign-on: Bearer tokens of an OpenID Connect provider, verified against the provider's
 * JWKS found through its discovery document, and the web sign-in (authorization code flow with
 * PKCE and the client secret) ending in a session cookie. The provider is a real issuer on
 * loopback started by the test: discovery, JWKS, an authorization endpoint that consents at once,
 * and a token endpoint that checks client secret, code, redirect URI and PKCE verifier; RS256
 * tokens signed with jose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { startServer, type TestServer } from '../helpers/server.js';

let issuer: string;
let provider: Server;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let server: TestServer;
const KID = 'k1';
const CLIENT = 'urbis-web';
const SECRET = 'the-client-secret';
/** Codes the authorization endpoint handed out: what the token endpoint must see again. */
const codes = new Map<string, { redirectUri: string; challenge: string; nonce: string }>();

function token(claims: Record<string, unknown>, opts: { key?: CryptoKey; exp?: number | string; aud?: string } = {}): Promise<string> {
  return new SignJWT({ preferred_username: 'olivia', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: KID })
    .setIssuer(issuer)
    .setSubject('248289761001')
    .setAudience(opts.aud ?? CLIENT)
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(opts.exp ?? '10m')
    .sign(opts.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  provider = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, id_token_signing_alg_values_supported: ['RS256'], code_challenge_methods_supported: ['S256'] }));
    } else if (req.url === '/jwks') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else if (req.url?.startsWith('/auth?')) {
      // Consents at once: back to the client with a code.
      const q = new URL(req.url, issuer).searchParams;
      const code = `code-${codes.size}`;
      codes.set(code, { redirectUri: q.get('redirect_uri')!, challenge: q.get('code_challenge')!, nonce: q.get('nonce')! });
      res.statusCode = 302;
      res.setHeader('location', `${q.get('redirect_uri')}?code=${code}&state=${q.get('state')}`);
      res.end();
    } else if (req.url === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', async () => {
        const form = new URLSearchParams(body);
        const granted = codes.get(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const basic = Buffer.from(`${CLIENT}:${SECRET}`).toString('base64');
        const ok =
          req.headers.authorization === `Basic ${basic}` &&
          granted !== undefined &&
          granted.redirectUri === form.get('redirect_uri') &&
          granted.challenge === createHash('sha256').update(verifier).digest('base64url');
        if (!ok) {
          res.statusCode = 400;
          return res.end(JSON.stringify({ error: 'invalid_grant' }));
        }
        codes.delete(form.get('code')!);
        res.end(JSON.stringify({ token_type: 'Bearer', access_token: 'opaque', id_token: await token({ groups: ['city-auditors'], nonce: granted.nonce }) }));
      });
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  server = await startServer({ open: false, oidcIssuer: issuer, oidcClientId: CLIENT, oidcClientSecret: SECRET, oidcRoleClaim: 'groups', oidcRoleMap: 'traffic-ops=operator,city-auditors=auditor' });
});

afterAll(async () => {
  await server?.close();
  await new Promise((r) => provider?.close(r));
});

const me = async (t: string) => server.request('GET', '/auth/me', { headers: { authorization: `Bearer ${t}` } });

describe('OIDC Bearer tokens', () => {
  it('a valid token signs in with the roles its groups map to', async () => {
    const t = await token({ groups: ['traffic-ops', 'choir'] });
    const r = await me(t);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ subject: 'oidc:olivia', roles: ['operator'], method: 'oidc', tenant: '' });
    const created = await server.request('POST', '/ngsi-ld/v1/entities', { headers: { authorization: `Bearer ${t}` }, body: { id: 'urn:ngsi-ld:Building:sso', type: 'Building' } });
    expect(created.status).toBe(201);
  });

  it('a token whose groups map to no role is signed in but may not write', async () => {
    const t = await token({ groups: ['choir'] });
    expect((await me(t)).json.roles).toEqual([]);
    const r = await server.request('POST', '/ngsi-ld/v1/entities', { headers: { authorization: `Bearer ${t}` }, body: { id: 'urn:ngsi-ld:Building:sso2', type: 'Building' } });
    expect(r.status).toBe(403);
  });

  it('an expired token is refused with 401', async () => {
    const r = await me(await token({ groups: ['traffic-ops'] }, { exp: Math.floor(Date.now() / 1000) - 60 }));
    expect(r.status).toBe(401);
    expect(r.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/Unauthorized');
    expect(r.json.detail).toMatch(/"exp" claim/);
  });

  it('a token signed with another key is refused with 401', async () => {
    const r = await me(await token({ groups: ['traffic-ops'] }, { key: otherKey }));
    expect(r.status).toBe(401);
    expect(r.json.detail).toMatch(/signature verification failed/);
  });

  it('a token for another client (audience) is refused with 401', async () => {
    const r = await me(await token({ groups: ['traffic-ops'] }, { aud: 'someone-else' }));
    expect(r.status).toBe(401);
    expect(r.json.detail).toMatch(/"aud" claim/);
  });

  it('garbage is refused with 401', async () => {
    expect((await me('not.a.jwt')).status).toBe(401);
  });
});

describe('web sign-in through the provider', () => {
  const noFollow = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const cookie = (r: Response) => r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

  it('goes to the provider and back, and ends signed in with a session cookie', async () => {
    const start = await noFollow(`${server.base}/auth/oidc/login?returnTo=/auth/me`);
    expect(start.status).toBe(302);
    const toProvider = new URL(start.headers.get('location')!);
    expect(toProvider.origin + toProvider.pathname).toBe(`${issuer}/auth`);
    expect(toProvider.searchParams.get('code_challenge_method')).toBe('S256');
    expect(toProvider.searchParams.get('client_id')).toBe(CLIENT);
    const pending = cookie(start);
    expect(start.headers.getSetCookie()[0]).toMatch(/HttpOnly; Secure; SameSite=Lax/);
    const back = await noFollow(toProvider.toString());
    const callback = await noFollow(back.headers.get('location')!, pending);
    expect(callback.status, await callback.clone().text()).toBe(302);
    expect(callback.headers.get('location')).toBe('/auth/me');
    const session = callback.headers.getSetCookie().find((c) => c.startsWith('urbis_session='))!;
    expect(session).toMatch(/HttpOnly; Secure; SameSite=Strict/);
    const me = await server.request('GET', '/auth/me', { headers: { cookie: session.split(';')[0] } });
    expect(me.json).toMatchObject({ subject: 'oidc:olivia', roles: ['auditor'], method: 'oidc' });
  });

  it('refuses a callback whose state does not match the sign-in that was started', async () => {
    const start = await noFollow(`${server.base}/auth/oidc/login`);
    const back = await noFollow(start.headers.get('location')!);
    const forged = back.headers.get('location')!.replace(/state=[^&]+/, 'state=forged');
    const r = await noFollow(forged, cookie(start));
    expect(r.status).toBe(401);
    expect(r.headers.getSetCookie().some((c) => c.startsWith('urbis_session='))).toBe(false);
  });

  it('fails when the client secret is wrong (the provider refuses the code)', async () => {
    const wrong = await startServer({ open: false, oidcIssuer: issuer, oidcClientId: CLIENT, oidcClientSecret: 'not-the-secret' });
    try {
      const start = await noFollow(`${wrong.base}/auth/oidc/login`);
      const back = await noFollow(start.headers.get('location')!);
      const r = await noFollow(back.headers.get('location')!, cookie(start));
      expect(r.status).toBe(401);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/the token endpoint refused the code \(400 invalid_grant\)/);
    } finally {
      await wrong.close();
    }
  });
});
