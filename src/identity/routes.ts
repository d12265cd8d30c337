/**
 * Routes under /auth: sign-in and sign-out (session cookie), the signed-in principal, password
 * change, accounts, API keys and the tenant's policy. Who may call each is in route-rules.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { NgsiError, badRequest, forbidden, notFound } from '../errors.js';
import type { AuditLog } from '../audit/log.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { linkedContext } from '../broker/http/negotiation.js';
import { RateLimiter, tooManyRequests } from '../server/security.js';
import type { AccessControl } from './access.js';
import { SESSION_MS, type IdentityService } from './accounts.js';
import { parsePolicy, presentPolicy } from './policy.js';
import { currentRequest, type RequestState } from './request-context.js';
import type { Account, ApiKey } from './store.js';
import type { OidcVerifier } from './oidc.js';
import { randomToken } from './passwords.js';

export const SESSION_COOKIE = 'urbis_session';
/** Holds state, nonce and PKCE verifier between /auth/oidc/login and the provider's callback. */
const OIDC_COOKIE = 'urbis_oidc';
/** Sign-in attempts per minute per client address. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export interface AuthRouteDeps {
  accounts: IdentityService;
  access: AccessControl;
  audit: AuditLog;
  resolver: ContextResolver;
  config: Config;
  /** Single sign-on, when an issuer is configured. */
  oidc?: OidcVerifier;
}

/** The value of a cookie of the request. */
export function readCookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

const sessionCookie = (value: string, maxAgeSeconds: number) => `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
// Lax: the provider sends the browser back with a top-level navigation from its own site.
const oidcCookie = (value: string, maxAgeSeconds: number) => `${OIDC_COOKIE}=${value}; Path=/auth/oidc; HttpOnly; Secure; SameSite=Lax; Max-Age=${maxAgeSeconds}`;

const showAccount = (a: Account) => ({
  username: a.username,
  tenant: a.tenant,
  roles: a.roles,
  ...(a.department ? { department: a.department } : {}),
  disabled: a.disabled,
  mustChangePassword: a.mustChangePassword,
  demo: a.demo,
  locked: a.lockedUntil !== undefined && Date.parse(a.lockedUntil) > Date.now(),
  createdAt: a.createdAt,
});

const showKey = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  tenant: k.tenant,
  roles: k.roles,
  scopes: k.scopes,
  ...(k.department ? { department: k.department } : {}),
  createdAt: k.createdAt,
  createdBy: k.createdBy,
  ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}),
});

function body(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('the body must be a JSON object');
  return b as Record<string, unknown>;
}

export function authRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { accounts, access, audit, resolver, oidc } = deps;
  const loginLimiter = new RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE);
  const state = (): RequestState => currentRequest()!;
  /** Audits an administrative change in its own transaction (the request is then audited). */
  const record = (operation: string, resource: string, detail?: string) => {
    const s = state();
    s.audited = true;
    audit.record({ tenant: s.tenant, actor: s.principal.subject, operation, resource, outcome: 'success', client: s.client, purpose: s.purpose, detail });
  };

  app.post('/auth/login', async (req, reply) => {
    const s = state();
    const wait = loginLimiter.take(s.client);
    if (wait > 0) return tooManyRequests(reply, wait, `sign-in attempts from ${s.client}`);
    const b = body(req);
    const result = await accounts.login(s.tenant, b.username, b.password);
    const who = typeof b.username === 'string' ? b.username.slice(0, 64) : '(none)';
    audit.enqueue({
      tenant: s.tenant,
      actor: who,
      operation: 'login',
      resource: `account:${who}`,
      outcome: result.ok ? 'success' : 'denied',
      client: s.client,
      purpose: s.purpose,
      detail: result.ok ? 'password' : result.reason,
    });
    if (!result.ok) throw new NgsiError('Unauthorized', 'sign-in failed: wrong username or password, or the account is locked or disabled');
    reply.header('Set-Cookie', sessionCookie(result.token, SESSION_MS / 1000));
    return { ...showAccount(result.account), expiresAt: result.expiresAt };
  });

  /** Where the provider sends the browser back: this server's /auth/oidc/callback. */
  const callbackUrl = (req: FastifyRequest) => `${deps.config.https ? 'https' : req.protocol}://${req.host}/auth/oidc/callback`;
  const requireOidc = (): OidcVerifier => {
    if (!oidc) throw notFound('single sign-on is not configured (--oidc-issuer)');
    return oidc;
  };

  app.get<{ Querystring: { returnTo?: string } }>('/auth/oidc/login', async (req, reply) => {
    const provider = requireOidc();
    const returnTo = req.query.returnTo ?? '/';
    if (!/^\/(?![/\\])/.test(returnTo)) throw badRequest('returnTo must be a path of this server (starting with a single /)');
    const [state, nonce, verifier] = [randomToken(16), randomToken(16), randomToken(32)];
    const url = await provider.authorizationUrl(callbackUrl(req), state, nonce, verifier);
    reply.header('Set-Cookie', oidcCookie(encodeURIComponent(JSON.stringify({ state, nonce, verifier, returnTo })), 600));
    return reply.redirect(url, 302);
  });

  app.get<{ Querystring: { code?: string; state?: string; error?: string } }>('/auth/oidc/callback', async (req, reply) => {
    const provider = requireOidc();
    const s = state();
    let pending: { state: string; nonce: string; verifier: string; returnTo: string } | undefined;
    try {
      pending = JSON.parse(readCookie(req, OIDC_COOKIE) ?? 'null');
    } catch {
      pending = undefined;
    }
    const fail = (why: string) => {
      audit.enqueue({ tenant: s.tenant, actor: 'oidc:?', operation: 'login', resource: 'oidc', outcome: 'denied', client: s.client, purpose: s.purpose, detail: why });
      return new NgsiError('Unauthorized', `single sign-on failed: ${why}`);
    };
    if (req.query.error) throw fail(`the provider answered ${req.query.error}`);
    if (!pending || !req.query.state || pending.state !== req.query.state || !req.query.code) throw fail('the sign-in state does not match (start again at /auth/oidc/login)');
    let principal;
    try {
      principal = await provider.exchange(req.query.code, callbackUrl(req), pending.verifier, pending.nonce);
    } catch (err) {
      throw fail((err as Error).message);
    }
    const { token } = await accounts.openSession(principal.tenant, principal.subject, principal);
    audit.enqueue({ tenant: principal.tenant, actor: principal.subject, operation: 'login', resource: `account:${principal.subject}`, outcome: 'success', client: s.client, purpose: s.purpose, detail: `oidc; roles ${principal.roles.join(',')}` });
    reply.header('Set-Cookie', [sessionCookie(token, SESSION_MS / 1000), oidcCookie('', 0)]);
    return reply.redirect(pending.returnTo, 302);
  });

  app.post('/auth/logout', async (req, reply) => {
    const token = readCookie(req, SESSION_COOKIE);
    if (token !== undefined) await accounts.logout(token);
    return reply.code(204).header('Set-Cookie', sessionCookie('', 0)).send();
  });

  app.get('/auth/me', async () => {
    const p = state().principal;
    return { subject: p.subject, tenant: p.tenant, roles: p.roles, method: p.method, ...(p.department ? { department: p.department } : {}), ...(p.scopes ? { scopes: p.scopes } : {}), mustChangePassword: p.mustChangePassword ?? false };
  });

  app.post('/auth/password', async (_req, reply) => {
    const p = state().principal;
    if (p.method !== 'session') throw forbidden('only accounts signed in with a password can change it');
    const b = body(_req);
    if (!(await accounts.changePassword(p.tenant, p.subject, b.currentPassword, b.newPassword))) throw forbidden('the current password is wrong');
    record('account.password', `account:${p.subject}`);
    // Every session of the account ended with the old password; this one continues in a new session.
    const { token } = await accounts.openSession(p.tenant, p.subject);
    return reply.code(204).header('Set-Cookie', sessionCookie(token, SESSION_MS / 1000)).send();
  });

  app.get('/auth/users', async () => (await accounts.listUsers(state().tenant)).map(showAccount));

  app.post('/auth/users', async (req, reply) => {
    const b = body(req);
    const { account, password } = await accounts.addUser({ tenant: state().tenant, username: b.username, roles: b.roles, department: b.department, password: b.password });
    record('account.create', `account:${account.username}`, `roles ${account.roles.join(',')}`);
    return reply.code(201).send({ ...showAccount(account), ...(b.password === undefined ? { oneTimePassword: password } : {}) });
  });

  app.patch<{ Params: { username: string } }>('/auth/users/:username', async (req, reply) => {
    const b = body(req);
    if (typeof b.disabled !== 'boolean') throw badRequest('send {"disabled": true} or {"disabled": false}');
    if (!(await accounts.setDisabled(state().tenant, req.params.username, b.disabled))) throw notFound(`no account named ${req.params.username}`);
    record(b.disabled ? 'account.disable' : 'account.enable', `account:${req.params.username}`);
    return reply.code(204).send();
  });

  app.get('/auth/keys', async () => (await accounts.listKeys(state().tenant)).map(showKey));

  app.post('/auth/keys', async (req, reply) => {
    const b = body(req);
    const s = state();
    const { key, text } = await accounts.createKey({ tenant: s.tenant, name: b.name, roles: b.roles, scopes: b.scopes, department: b.department, createdBy: s.principal.subject });
    record('key.create', `key:${key.id}`, `roles ${key.roles.join(',')}; scopes ${key.scopes.join(',')}`);
    return reply.code(201).send({ ...showKey(key), key: text });
  });

  app.delete<{ Params: { keyId: string } }>('/auth/keys/:keyId', async (req, reply) => {
    if (!(await accounts.revokeKey(req.params.keyId, state().tenant))) throw notFound(`no API key ${req.params.keyId}`);
    record('key.revoke', `key:${req.params.keyId}`);
    return reply.code(204).send();
  });

  app.get('/auth/policy', async (req) => {
    const ctx = await resolver.compile(linkedContext(req), state().tenant);
    return presentPolicy(access.policy(state().tenant), (iri) => ctx.compactIri(iri));
  });

  app.put('/auth/policy', async (req, reply) => {
    const s = state();
    const ctx = await resolver.compile(linkedContext(req), s.tenant);
    const policy = parsePolicy(req.body, (t) => ctx.expandTerm(t));
    await access.setPolicy(s.tenant, policy, () => {
      s.audited = true;
      audit.record({ tenant: s.tenant, actor: s.principal.subject, operation: 'policy.update', resource: `policy:${s.tenant}`, outcome: 'success', client: s.client, purpose: s.purpose, detail: JSON.stringify(policy) });
    });
    return reply.code(204).send();
  });
}
