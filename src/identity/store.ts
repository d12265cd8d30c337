/**
 * What identity needs from persistence: accounts, sessions, API keys and tenant policies.
 * The SQLite implementation is src/store/sqlite/identity-store.ts.
 */
import type { Principal, Role } from './principal.js';
import type { Policy } from './policy.js';

export interface Account {
  tenant: string;
  username: string;
  roles: Role[];
  department?: string;
  /** scrypt hash (passwords.ts); undefined for accounts that sign in only through OIDC. */
  passwordHash?: string;
  disabled: boolean;
  /** The password is a one-time password: it must be changed at the first sign-in. */
  mustChangePassword: boolean;
  /** A demo account (created only in demo mode, disabled otherwise). */
  demo: boolean;
  /** Consecutive failed sign-ins, and until when the account is locked (ISO 8601). */
  failedLogins: number;
  lockedUntil?: string;
  createdAt: string;
}

export interface Session {
  /** SHA-256 of the session token (the cookie holds the token). */
  tokenHash: string;
  tenant: string;
  username: string;
  createdAt: string;
  expiresAt: string;
  /** Sessions of single sign-on: the principal the provider's ID token gave (no local account). */
  principal?: Principal;
}

export interface ApiKey {
  id: string;
  tenant: string;
  name: string;
  roles: Role[];
  /** read, write: what the key may do. */
  scopes: string[];
  department?: string;
  /** SHA-256 of the key's secret part. */
  secretHash: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
}

export interface IdentityStore {
  countAccounts(): Promise<number>;
  getAccount(tenant: string, username: string): Promise<Account | undefined>;
  /** Accounts of a tenant, or of every tenant. */
  listAccounts(tenant?: string): Promise<Account[]>;
  /** Creates the account; false when the name is taken in the tenant. */
  createAccount(a: Account): Promise<boolean>;
  updateAccount(a: Account): Promise<void>;
  createSession(s: Session): Promise<void>;
  getSession(tokenHash: string): Promise<Session | undefined>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteSessionsOf(tenant: string, username: string): Promise<void>;
  createKey(k: ApiKey): Promise<void>;
  getKey(id: string): Promise<ApiKey | undefined>;
  listKeys(tenant?: string): Promise<ApiKey[]>;
  /** Marks the key revoked; false when there is no such key. */
  revokeKey(id: string, at: string): Promise<boolean>;
  listPolicies(): Promise<Array<[string, Policy]>>;
  /** Saves a tenant's policy; `record` runs inside the same transaction. */
  savePolicy(tenant: string, policy: Policy, record: () => void): Promise<void>;
}
