/**
 * The route authorization table: for every route (method + Fastify route pattern) who may call
 * it. Enforced for every request by the authentication hook (setup.ts); a route that no rule
 * names is DENIED, so routes added later are protected until a rule is written for them.
 * What a caller may see or change inside the entity routes is decided by the tenant's policy
 * (access.ts); this table only decides whether the route may be called at all.
 */
import { isSignedIn, isStaff, type Principal, type Role } from './principal.js';

/** Who may call a route: anyone, any authenticated principal, staff, or the named roles. */
export type Audience = 'public' | 'signed-in' | 'staff' | Role[];

export interface RouteRule {
  methods: readonly string[];
  /** A route pattern as Fastify names it (/ngsi-ld/v1/entities/:entityId), or a prefix ending with "*". */
  path: string;
  allow: Audience;
  /** A POST that only reads (queries): an API key with the read scope may call it. */
  reads?: true;
}

const API = '/ngsi-ld/v1';
const READ = ['GET', 'HEAD'];
const WRITE = ['POST', 'PUT', 'PATCH', 'DELETE'];
const ANY = [...READ, ...WRITE];
const PROVISIONING: Role[] = ['admin', 'operator'];
const HISTORY_WRITERS: Role[] = ['admin', 'operator', 'data-steward', 'device'];

/** First matching rule wins. */
export const ROUTE_RULES: readonly RouteRule[] = [
  // The operations centre (the web app; its data comes through the routes below).
  { methods: READ, path: '/', allow: 'public' },
  { methods: READ, path: '/vitals', allow: 'public' },
  { methods: READ, path: '/table', allow: 'public' },
  { methods: READ, path: '/assets/*', allow: 'public' },
  // Operations and API documentation.
  { methods: READ, path: '/health', allow: 'public' },
  { methods: READ, path: '/ready', allow: 'public' },
  { methods: READ, path: '/docs*', allow: 'public' },
  { methods: READ, path: '/openapi.json', allow: 'public' },
  // NGSI-LD context information: reads are filtered by the policy (public data needs no sign-in);
  // writes are checked against the policy (types, attributes, residents' own records).
  { methods: ['POST'], path: `${API}/entityOperations/query`, allow: 'public', reads: true },
  { methods: READ, path: `${API}/entities*`, allow: 'public' },
  { methods: WRITE, path: `${API}/entities*`, allow: 'signed-in' },
  { methods: ['POST'], path: `${API}/entityOperations/*`, allow: 'signed-in' },
  { methods: READ, path: `${API}/types*`, allow: 'public' },
  { methods: READ, path: `${API}/attributes*`, allow: 'public' },
  { methods: READ, path: `${API}/jsonldContexts*`, allow: 'public' },
  { methods: ['POST', 'DELETE'], path: `${API}/jsonldContexts*`, allow: ['admin', 'operator', 'data-steward'] },
  // History: reads like entity reads (the policy filters what each caller sees of it); writers of data write it.
  { methods: ['POST'], path: `${API}/temporal/entityOperations/query`, allow: 'public', reads: true },
  { methods: READ, path: `${API}/temporal/*`, allow: 'public' },
  { methods: WRITE, path: `${API}/temporal/*`, allow: HISTORY_WRITERS },
  // Subscriptions and registrations.
  { methods: ANY, path: `${API}/subscriptions*`, allow: 'staff' },
  { methods: ANY, path: `${API}/csourceRegistrations*`, allow: PROVISIONING },
  // IoT Agent: measures authenticate by the service API key of the IoT Agent protocol (the
  // gateway checks it); provisioning is for admins and operators.
  { methods: ['POST'], path: '/iot/ul', allow: 'public' },
  { methods: ['POST'], path: '/iot/json', allow: 'public' },
  { methods: ANY, path: '/iot/*', allow: PROVISIONING },
  // The city: its geography is public; vital signs and the live stream read like entity reads
  // (filtered by the policy); the rest is for staff.
  { methods: READ, path: '/city/geography*', allow: 'public' },
  { methods: READ, path: '/city/vitals', allow: 'public' },
  { methods: READ, path: '/city/map', allow: 'public' },
  { methods: READ, path: '/live', allow: 'public' },
  { methods: READ, path: '/city/*', allow: 'staff' },
  // Identity.
  { methods: ['POST'], path: '/auth/login', allow: 'public' },
  { methods: ['POST'], path: '/auth/logout', allow: 'public' },
  { methods: READ, path: '/auth/oidc/login', allow: 'public' },
  { methods: READ, path: '/auth/oidc/callback', allow: 'public' },
  { methods: READ, path: '/auth/me', allow: 'signed-in' },
  { methods: ['POST'], path: '/auth/password', allow: 'signed-in' },
  { methods: ANY, path: '/auth/users*', allow: ['admin'] },
  { methods: ANY, path: '/auth/keys*', allow: ['admin'] },
  { methods: READ, path: '/auth/policy', allow: 'staff' },
  { methods: ['PUT'], path: '/auth/policy', allow: ['admin'] },
  // Audit: the independent overseer.
  { methods: READ, path: '/audit/*', allow: ['auditor'] },
];

/** Routes a principal whose one-time password is not yet changed may call. */
export const BEFORE_PASSWORD_CHANGE = new Set(['/auth/password', '/auth/logout', '/auth/me', '/auth/login', '/auth/oidc/login', '/auth/oidc/callback']);

export function findRule(method: string, route: string | undefined): RouteRule | undefined {
  if (route === undefined) return undefined;
  return ROUTE_RULES.find((r) => r.methods.includes(method) && (r.path.endsWith('*') ? route.startsWith(r.path.slice(0, -1)) : route === r.path));
}

export type Decision = 'allow' | 'unauthenticated' | 'forbidden';

/** Whether `principal` may call the route of `rule` (undefined: no rule, denied). */
export function decide(rule: RouteRule | undefined, method: string, principal: Principal): Decision {
  const signedIn = isSignedIn(principal);
  if (!rule) return signedIn ? 'forbidden' : 'unauthenticated';
  // API keys are limited to their scopes: read (GET and query POSTs) and/or write.
  const scope = READ.includes(method) || rule.reads ? 'read' : 'write';
  if (principal.scopes && !principal.scopes.includes(scope)) return 'forbidden';
  if (rule.allow === 'public') return 'allow';
  if (!signedIn) return 'unauthenticated';
  if (rule.allow === 'signed-in') return 'allow';
  if (rule.allow === 'staff') return isStaff(principal) ? 'allow' : 'forbidden';
  return rule.allow.some((r) => principal.roles.includes(r)) ? 'allow' : 'forbidden';
}
