/**
 * Identity's logic (no HTTP): accounts with scrypt passwords, sign-in with lock-out after repeated
 * failures, sessions, API keys (shown once, stored hashed, revocable, with scopes), and the
 * accounts of the first start and of demo mode.
 */
import { randomBytes } from 'node:crypto';
import { badRequest } from '../errors.js';
import { hashPassword, passwordProblem, randomToken, sha256, verifyPassword } from './passwords.js';
import { ROLES, isRole, type Principal, type Role } from './principal.js';
import type { Account, ApiKey, IdentityStore } from './store.js';

/** Failed sign-ins in a row that lock an account, and for how long. */
export const LOCKOUT_AFTER = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const SESSION_MS = 8 * 3600_000;
/** API keys read `urbis_<id>_<secret>`. */
export const KEY_PREFIX = 'urbis_';
export const KEY_SCOPES = ['read', 'write'] as const;

export type LoginResult = { ok: true; token: string; account: Account; expiresAt: string } | { ok: false; reason: 'invalid' | 'locked' | 'disabled' };

const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;

export function requireRoles(roles: unknown, what = 'roles'): Role[] {
  const list = typeof roles === 'string' ? roles.split(',').map((r) => r.trim()) : roles;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isRole)) throw badRequest(`${what} must name one or more of ${ROLES.join(', ')}`);
  return [...new Set(list)];
}

function requireDepartment(d: unknown): string | undefined {
  if (d === undefined || d === null || d === '') return undefined;
  if (typeof d !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(d)) throw badRequest('department must be 1-64 letters, digits, _ . -');
  return d;
}

export function principalOfAccount(a: Account, method: 'session' | 'oidc'): Principal {
  const p: Principal = { tenant: a.tenant, subject: a.username, roles: a.roles, method };
  if (a.department) p.department = a.department;
  if (a.mustChangePassword) p.mustChangePassword = true;
  return p;
}

export class IdentityService {
  constructor(private readonly store: IdentityStore) {}

  /** Creates an account; without a password, a one-time password is generated and returned. */
  async addUser(input: { tenant: string; username: unknown; roles: unknown; department?: unknown; password?: unknown; demo?: boolean }): Promise<{ account: Account; password: string }> {
    if (typeof input.username !== 'string' || !USERNAME.test(input.username)) throw badRequest('username must be 1-64 letters, digits, _ . @ -');
    const oneTime = input.password === undefined;
    const password = oneTime ? randomToken(12) : input.password;
    const problem = passwordProblem(password);
    if (problem) throw badRequest(problem);
    const account: Account = {
      tenant: input.tenant,
      username: input.username,
      roles: requireRoles(input.roles),
      passwordHash: await hashPassword(password as string),
      disabled: false,
      mustChangePassword: oneTime,
      demo: input.demo ?? false,
      failedLogins: 0,
      createdAt: new Date().toISOString(),
    };
    const department = requireDepartment(input.department);
    if (department) account.department = department;
    if (!(await this.store.createAccount(account))) throw badRequest(`an account named ${account.username} already exists`);
    return { account, password: password as string };
  }

  listUsers(tenant?: string): Promise<Account[]> {
    return this.store.listAccounts(tenant);
  }

  /** Disables (or enables) an account; disabling ends its sessions. False when there is no such account. */
  async setDisabled(tenant: string, username: string, disabled: boolean): Promise<boolean> {
    const a = await this.store.getAccount(tenant, username);
    if (!a) return false;
    await this.store.updateAccount({ ...a, disabled });
    if (disabled) await this.store.deleteSessionsOf(tenant, username);
    return true;
  }

  async login(tenant: string, username: unknown, password: unknown): Promise<LoginResult> {
    const a = typeof username === 'string' ? await this.store.getAccount(tenant, username) : undefined;
    // The password is checked in every case, so that answers take the same time.
    const good = await verifyPassword(typeof password === 'string' ? password : '', a?.passwordHash);
    if (!a) return { ok: false, reason: 'invalid' };
    const now = Date.now();
    if (a.lockedUntil && Date.parse(a.lockedUntil) > now) return { ok: false, reason: 'locked' };
    if (!good) {
      const failed = a.failedLogins + 1;
      const locked = failed >= LOCKOUT_AFTER;
      await this.store.updateAccount({ ...a, failedLogins: locked ? 0 : failed, lockedUntil: locked ? new Date(now + LOCKOUT_MS).toISOString() : undefined });
      return { ok: false, reason: locked ? 'locked' : 'invalid' };
    }
    if (a.disabled) return { ok: false, reason: 'disabled' };
    if (a.failedLogins > 0 || a.lockedUntil) await this.store.updateAccount({ ...a, failedLogins: 0, lockedUntil: undefined });
    const { token, expiresAt } = await this.openSession(tenant, a.username);
    return { ok: true, token, account: a, expiresAt };
  }

  /** A new session of an account, or of a single sign-on principal. */
  async openSession(tenant: string, username: string, principal?: Principal): Promise<{ token: string; expiresAt: string }> {
    const token = randomToken();
    const now = Date.now();
    const expiresAt = new Date(now + SESSION_MS).toISOString();
    await this.store.createSession({ tokenHash: sha256(token), tenant, username, createdAt: new Date(now).toISOString(), expiresAt, ...(principal ? { principal } : {}) });
    return { token, expiresAt };
  }

  /** The principal of a session token, if the session is alive and its account enabled. */
  async sessionPrincipal(token: string): Promise<Principal | undefined> {
    const s = await this.store.getSession(sha256(token));
    if (!s || Date.parse(s.expiresAt) <= Date.now()) return undefined;
    if (s.principal) return s.principal;
    const a = await this.store.getAccount(s.tenant, s.username);
    if (!a || a.disabled) return undefined;
    return principalOfAccount(a, 'session');
  }

  logout(token: string): Promise<void> {
    return this.store.deleteSession(sha256(token));
  }

  /** Changes the password of a signed-in account (after checking the current one) and ends all its sessions. */
  async changePassword(tenant: string, username: string, current: unknown, next: unknown): Promise<boolean> {
    const a = await this.store.getAccount(tenant, username);
    if (!a || !(await verifyPassword(typeof current === 'string' ? current : '', a.passwordHash))) return false;
    const problem = passwordProblem(next);
    if (problem) throw badRequest(problem);
    if (next === current) throw badRequest('the new password must differ from the current one');
    await this.store.updateAccount({ ...a, passwordHash: await hashPassword(next as string), mustChangePassword: false });
    await this.store.deleteSessionsOf(tenant, username);
    return true;
  }

  /** Creates an API key; `text` (the key itself) is returned this once and never stored. */
  async createKey(input: { tenant: string; name?: unknown; roles: unknown; scopes?: unknown; department?: unknown; createdBy: string }): Promise<{ key: ApiKey; text: string }> {
    const name = input.name ?? 'api key';
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) throw badRequest('name must be a string of 1-200 characters');
    const scopes = input.scopes === undefined ? [...KEY_SCOPES] : typeof input.scopes === 'string' ? input.scopes.split(',').map((s) => s.trim()) : input.scopes;
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => (KEY_SCOPES as readonly string[]).includes(s))) {
      throw badRequest(`scopes must name one or more of ${KEY_SCOPES.join(', ')}`);
    }
    const id = randomBytes(8).toString('hex');
    const secret = randomToken();
    const key: ApiKey = {
      id,
      tenant: input.tenant,
      name,
      roles: requireRoles(input.roles),
      scopes: [...new Set(scopes as string[])],
      secretHash: sha256(secret),
      createdAt: new Date().toISOString(),
      createdBy: input.createdBy,
    };
    const department = requireDepartment(input.department);
    if (department) key.department = department;
    await this.store.createKey(key);
    return { key, text: `${KEY_PREFIX}${id}_${secret}` };
  }

  /** The principal of an API key text, if it is a live key. */
  async keyPrincipal(text: string): Promise<Principal | undefined> {
    const m = /^urbis_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$/.exec(text);
    if (!m) return undefined;
    const k = await this.store.getKey(m[1]);
    if (!k || k.revokedAt || k.secretHash !== sha256(m[2])) return undefined;
    const p: Principal = { tenant: k.tenant, subject: `key:${k.id}`, roles: k.roles, method: 'api-key', scopes: k.scopes, keyId: k.id };
    if (k.department) p.department = k.department;
    return p;
  }

  listKeys(tenant?: string): Promise<ApiKey[]> {
    return this.store.listKeys(tenant);
  }

  /** Revokes a key (of `tenant`, when given); false when there is no such key. */
  async revokeKey(id: string, tenant?: string): Promise<boolean> {
    const k = await this.store.getKey(id);
    if (!k || (tenant !== undefined && k.tenant !== tenant)) return false;
    return this.store.revokeKey(id, new Date().toISOString());
  }

  /**
   * First start (no accounts at all): an admin with a one-time password. Demo mode: one demo
   * account per role (created when missing, enabled); outside demo mode demo accounts are disabled.
   */
  async bootstrap(demo: boolean): Promise<{ admin?: { username: string; password: string }; demo: Array<{ username: string; password: string; role: Role }> }> {
    const out: { admin?: { username: string; password: string }; demo: Array<{ username: string; password: string; role: Role }> } = { demo: [] };
    if ((await this.store.countAccounts()) === 0) {
      const { password } = await this.addUser({ tenant: '', username: 'admin', roles: ['admin'] });
      out.admin = { username: 'admin', password };
    }
    for (const role of ROLES) {
      const username = `demo-${role}`;
      const existing = await this.store.getAccount('', username);
      if (!demo) {
        if (existing?.demo && !existing.disabled) await this.setDisabled('', username, true);
        continue;
      }
      const password = `${username}-only-for-the-demo`;
      if (!existing) await this.addUser({ tenant: '', username, roles: [role], password, demo: true, department: role === 'data-steward' ? 'environment' : undefined });
      else if (existing.demo && existing.disabled) await this.setDisabled('', username, false);
      if (!existing || existing.demo) out.demo.push({ username, password, role });
    }
    return out;
  }
}
