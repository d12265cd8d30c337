/**
 * Wires identity, access control and the audit log into the server: one onRequest hook
 * authenticates every request (session cookie, Bearer API key, Bearer OIDC token) into a
 * principal and enforces the route table; the entity service filters and guards with the
 * principal's access; entity writes are audited in their own transaction, everything else that
 * must be audited (denials, failed writes, restricted reads) when the request ends.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { NgsiError } from '../errors.js';
import type { Entity } from '../broker/model.js';
import type { EntityService } from '../broker/entity-service.js';
import type { BrokerStore, EntityAccess } from '../broker/store.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { tenantOf } from '../broker/http/negotiation.js';
import type { Stores } from '../store/stores.js';
import { AuditLog } from '../audit/log.js';
import { auditRoutes } from '../audit/routes.js';
import { tooManyRequests, type Security } from '../server/security.js';
import { AccessControl } from './access.js';
import { IdentityService } from './accounts.js';
import { OidcVerifier } from './oidc.js';
import { ANONYMOUS, ROLES, isSignedIn, type Principal } from './principal.js';
import { BEFORE_PASSWORD_CHANGE, decide, findRule } from './route-rules.js';
import { PURPOSE_HEADER, currentRequest, requests, type RequestState } from './request-context.js';
import { currentWriteOrigin } from '../broker/origin.js';
import { SESSION_COOKIE, authRoutes, readCookie } from './routes.js';

export interface IdentityDeps {
  config: Config;
  /** Identity and audit keep their data in stores.identity and stores.audit. */
  stores: Stores;
  service: EntityService;
  store: BrokerStore;
  resolver: ContextResolver;
  security: Security;
}

export interface Identity {
  access: AccessControl;
  accounts: IdentityService;
  audit: AuditLog;
  /** What `principal` may see of `entity` (see docs/identity.md); undefined: nothing. */
  visibleEntity(principal: Principal, tenant: string, entity: Entity): Entity | undefined;
  /** The principal of the request being served (undefined outside requests). */
  currentPrincipal(): Principal | undefined;
  /** The entity access of the request being served (undefined outside requests and with access control off). */
  currentAccess(): EntityAccess | undefined;
  close(): Promise<void>;
}

/** The principal of a request when access control is off. */
const openPrincipal = (tenant: string): Principal => ({ tenant, subject: 'open-mode', roles: [...ROLES], method: 'open' });

const path = (req: FastifyRequest) => req.url.split('?')[0];

function problem(reply: FastifyReply, e: NgsiError): FastifyReply {
  if (e.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="urbis"');
  return reply.code(e.status).type('application/json').send(e.toProblem());
}

export async function setupIdentity(app: FastifyInstance, deps: IdentityDeps): Promise<Identity> {
  const { config, stores, service, store, resolver, security } = deps;
  const identityStore = stores.identity;
  const audit = new AuditLog(stores.audit, (err) => app.log.error({ err }, 'audit records could not be written; retrying'));
  const accounts = new IdentityService(identityStore);
  const access = new AccessControl(identityStore);
  await access.load();
  // Policies changed on another node sharing the database.
  const policies = access.follow(stores.bus, (err) => app.log.error({ err }, 'the access policies could not be reloaded'));
  const oidc = config.oidcIssuer
    ? new OidcVerifier({ issuer: config.oidcIssuer, clientId: config.oidcClientId, clientSecret: config.oidcClientSecret, roleClaim: config.oidcRoleClaim, roleMap: config.oidcRoleMap })
    : undefined;

  if (config.open) {
    app.log.warn('ACCESS CONTROL IS OFF (--open / URBIS_OPEN=1): anyone who can reach this server can read and change everything. For local development and conformance testing only.');
  } else {
    const boot = await accounts.bootstrap(config.demo);
    if (boot.admin) {
      app.log.warn({ username: boot.admin.username, password: boot.admin.password }, 'first start: created the account "admin" with this one-time password; it must be changed at the first sign-in (POST /auth/password)');
    }
    if (boot.demo.length > 0) {
      app.log.warn({ accounts: boot.demo }, 'DEMO ONLY: demo accounts (names start with "demo-") are enabled because the demo city runs; never use them with real data');
    }
  }

  // Every entity write is audited inside the write's transaction: by the gateway or a command
  // (their write origin), by the request that made it, or else as the system's own.
  store.addChangeRecorder((change) => {
    const origin = currentWriteOrigin();
    const r = origin ? undefined : currentRequest();
    if (r) r.audited = true;
    const names = change.attributes.map((a) => a.name).join(' ');
    audit.record({
      tenant: change.tenant,
      actor: origin?.actor ?? r?.principal.subject ?? 'system',
      operation: `entity.${change.op === 'created' ? 'create' : change.op === 'deleted' ? 'delete' : 'update'}`,
      resource: change.id,
      outcome: 'success',
      client: origin?.client ?? r?.client ?? 'internal',
      purpose: r?.purpose,
      detail: names.length > 500 ? names.slice(0, 500) + '...' : names || undefined,
    });
  });
  service.useAccess(() => currentRequest()?.access);

  // The request's state, for everything the request calls.
  app.addHook('onRequest', (req, _reply, done) => {
    let tenant = '';
    try {
      tenant = tenantOf(req);
    } catch {
      // An invalid NGSILD-Tenant header is answered by the route (400); here it is the default tenant.
    }
    const purpose = req.headers[PURPOSE_HEADER];
    const state: RequestState = { principal: ANONYMOUS(tenant), tenant, client: req.ip, audited: false, restrictedReads: [] };
    if (typeof purpose === 'string' && purpose !== '') state.purpose = purpose.slice(0, 200);
    requests.run(state, done);
  });

  // Authentication and the route table: the one place where calls are allowed or denied.
  app.addHook('onRequest', async (req, reply) => {
    const state = currentRequest()!;
    if (config.open) {
      state.principal = openPrincipal(state.tenant);
      return;
    }
    let principal: Principal;
    try {
      principal = await authenticate(req, state.tenant);
    } catch (err) {
      return problem(reply, err instanceof NgsiError ? err : new NgsiError('Unauthorized', 'the credentials are invalid or expired'));
    }
    state.principal = principal;
    if (isSignedIn(principal) && security.principalLimiter) {
      const wait = security.principalLimiter.take(principal.keyId ? `key:${principal.keyId}` : `${principal.tenant}/${principal.subject}`);
      if (wait > 0) return tooManyRequests(reply, wait, `for ${principal.subject}`);
    }
    const route = req.routeOptions.url;
    const decision = decide(findRule(req.method, route), req.method, principal);
    if (decision === 'unauthenticated') return problem(reply, new NgsiError('Unauthorized', `sign in (session cookie) or send Authorization: Bearer <API key or token> to call ${req.method} ${route ?? path(req)}`));
    if (decision === 'forbidden') return problem(reply, new NgsiError('Forbidden', `${principal.subject} (${principal.roles.join(', ') || 'no role'}) may not call ${req.method} ${route ?? path(req)}`));
    if (principal.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(route ?? '')) {
      return problem(reply, new NgsiError('Forbidden', 'change the one-time password first: POST /auth/password'));
    }
    const addressesTenant = req.headers['ngsild-tenant'] !== undefined || (route ?? path(req)).startsWith('/ngsi-ld/');
    if (isSignedIn(principal) && addressesTenant && state.tenant !== principal.tenant) {
      return problem(reply, new NgsiError('Forbidden', `${principal.subject} belongs to another tenant and may not act on tenant "${state.tenant}"`));
    }
    if (isSignedIn(principal)) state.tenant = principal.tenant;
    state.access = access.entityAccess(principal, state.tenant, (id) => state.restrictedReads.push(id));
  });

  async function authenticate(req: FastifyRequest, tenant: string): Promise<Principal> {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!m) throw new NgsiError('Unauthorized', 'Authorization must be "Bearer <API key or token>"');
      const token = m[1];
      if (token.startsWith('urbis_')) {
        const p = await accounts.keyPrincipal(token);
        if (!p) throw new NgsiError('Unauthorized', 'the API key is unknown or revoked');
        return p;
      }
      if (!oidc) throw new NgsiError('Unauthorized', 'the Bearer token is not an Urbis API key, and no OpenID Connect provider is configured');
      try {
        return await oidc.verify(token);
      } catch (err) {
        req.log.debug({ err }, 'OIDC token rejected');
        throw new NgsiError('Unauthorized', `the token was rejected: ${(err as Error).message}`);
      }
    }
    const session = readCookie(req, SESSION_COOKIE);
    if (session !== undefined) {
      const p = await accounts.sessionPrincipal(session);
      if (p) return p;
    }
    return ANONYMOUS(tenant);
  }

  // What the request did that the write path did not audit.
  app.addHook('onResponse', async (req, reply) => {
    const state = currentRequest();
    if (!state) return;
    state.finished = true;
    const route = req.routeOptions.url;
    const base = { tenant: state.tenant, actor: state.principal.subject, client: state.client, purpose: state.purpose };
    if (state.restrictedReads.length > 0) {
      const ids = state.restrictedReads;
      audit.enqueue({ ...base, operation: 'entity.read', resource: ids.length === 1 ? ids[0] : path(req), outcome: 'success', detail: ids.length === 1 ? undefined : `${ids.length} restricted entities: ${ids.slice(0, 20).join(' ')}` });
    }
    const status = reply.statusCode;
    const reads = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || findRule(req.method, route)?.reads;
    if (route === '/auth/login' || route === '/auth/oidc/callback') return;
    if ((reads && (status === 401 || status === 403)) || (!reads && (!state.audited || status >= 207))) {
      const outcome = status === 401 || status === 403 || status === 429 ? 'denied' : status >= 207 ? 'failed' : 'success';
      audit.enqueue({ ...base, operation: `${req.method} ${route ?? path(req)}`, resource: path(req), outcome, detail: `HTTP ${status}` });
    }
  });

  await app.register(async (scope) => {
    authRoutes(scope, { accounts, access, audit, resolver, config, oidc });
    auditRoutes(scope, { audit });
  });

  return {
    access,
    accounts,
    audit,
    visibleEntity: (principal, tenant, entity) => access.visibleEntity(principal, tenant, entity),
    currentPrincipal: () => currentRequest()?.principal,
    currentAccess: () => currentRequest()?.access,
    async close() {
      policies.stop();
      await policies.idle();
      await audit.close();
    },
  };
}
