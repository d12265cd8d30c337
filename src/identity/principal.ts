/**
 * Who is calling: roles of the platform and the principal an authenticated request acts as.
 */

/** The roles of Urbis accounts (ordered from most to least privileged staff, then the others). */
export const ROLES = ['admin', 'operator', 'analyst', 'data-steward', 'auditor', 'resident', 'device'] as const;
export type Role = (typeof ROLES)[number];

/** Staff roles: "internal" data is readable by any of them. */
export const STAFF_ROLES: ReadonlySet<Role> = new Set(['admin', 'operator', 'analyst', 'data-steward', 'auditor']);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** How a principal was authenticated. */
export type AuthMethod = 'session' | 'api-key' | 'oidc' | 'anonymous' | 'open';

export interface Principal {
  /** The tenant the principal belongs to ('' is the default tenant); anonymous: the requested tenant. */
  tenant: string;
  /** Account name, API key id (key:<id>), OIDC subject (oidc:<sub>), or "anonymous". */
  subject: string;
  roles: Role[];
  /** Department of a data steward (or any account), e.g. "transport". */
  department?: string;
  method: AuthMethod;
  /** API key scopes (read, write); undefined: not limited by scopes. */
  scopes?: string[];
  /** The account must change its one-time password before doing anything else. */
  mustChangePassword?: boolean;
  /** The API key id, when authenticated with one (rate limits, audit). */
  keyId?: string;
}

export const ANONYMOUS = (tenant: string): Principal => ({ tenant, subject: 'anonymous', roles: [], method: 'anonymous' });

/** The URI that names an account in entities (e.g. as the owner of a resident's records). */
export function accountUri(p: Pick<Principal, 'subject'>): string {
  return `urn:ngsi-ld:Person:${p.subject}`;
}

export const isStaff = (p: Principal) => p.roles.some((r) => STAFF_ROLES.has(r));
export const isSignedIn = (p: Principal) => p.method !== 'anonymous';

/** Role tokens a policy may name: each role, and "role:department" for the principal's department. */
export function roleTokens(p: Principal): Set<string> {
  const tokens = new Set<string>(p.roles);
  if (p.department) for (const r of p.roles) tokens.add(`${r}:${p.department}`);
  return tokens;
}
