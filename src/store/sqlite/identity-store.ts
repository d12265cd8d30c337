/**
 * SQLite implementation of identity's Store: accounts, sessions, API keys and tenant policies,
 * in the broker's database (component 'identity' of schema_migrations).
 */
import type { Statement } from 'better-sqlite3';
import type { Account, ApiKey, IdentityStore, Session } from '../../identity/store.js';
import type { Principal, Role } from '../../identity/principal.js';
import type { Policy } from '../../identity/policy.js';
import { migrate, type Db } from './database.js';

export const IDENTITY_MIGRATIONS: string[] = [
  `
  CREATE TABLE identity_accounts (
    tenant        TEXT NOT NULL,
    username      TEXT NOT NULL,
    roles         TEXT NOT NULL,             -- JSON array of roles
    department    TEXT,
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    must_change   INTEGER NOT NULL DEFAULT 0,
    demo          INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant, username)
  );
  CREATE TABLE identity_sessions (
    token_hash  TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    username    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    principal   TEXT                         -- JSON: sessions of single sign-on (no local account)
  );
  CREATE INDEX identity_sessions_by_account ON identity_sessions (tenant, username);
  CREATE TABLE identity_api_keys (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    name        TEXT NOT NULL,
    roles       TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    department  TEXT,
    secret_hash TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT
  );
  CREATE TABLE identity_policies (
    tenant      TEXT PRIMARY KEY,
    policy      TEXT NOT NULL,               -- JSON (identity/policy.ts)
    updated_at  TEXT NOT NULL
  );
  `,
];

interface AccountRow {
  tenant: string;
  username: string;
  roles: string;
  department: string | null;
  password_hash: string | null;
  disabled: number;
  must_change: number;
  demo: number;
  failed_logins: number;
  locked_until: string | null;
  created_at: string;
}

interface KeyRow {
  id: string;
  tenant: string;
  name: string;
  roles: string;
  scopes: string;
  department: string | null;
  secret_hash: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

function toAccount(r: AccountRow): Account {
  const a: Account = {
    tenant: r.tenant,
    username: r.username,
    roles: JSON.parse(r.roles) as Role[],
    disabled: r.disabled === 1,
    mustChangePassword: r.must_change === 1,
    demo: r.demo === 1,
    failedLogins: r.failed_logins,
    createdAt: r.created_at,
  };
  if (r.department !== null) a.department = r.department;
  if (r.password_hash !== null) a.passwordHash = r.password_hash;
  if (r.locked_until !== null) a.lockedUntil = r.locked_until;
  return a;
}

function toKey(r: KeyRow): ApiKey {
  const k: ApiKey = {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    roles: JSON.parse(r.roles) as Role[],
    scopes: JSON.parse(r.scopes) as string[],
    secretHash: r.secret_hash,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
  if (r.department !== null) k.department = r.department;
  if (r.revoked_at !== null) k.revokedAt = r.revoked_at;
  return k;
}

export class SqliteIdentityStore implements IdentityStore {
  private readonly stmt: Record<string, Statement>;

  constructor(private readonly db: Db) {
    migrate(db, 'identity', IDENTITY_MIGRATIONS);
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      count: p('SELECT count(*) AS n FROM identity_accounts'),
      account: p('SELECT * FROM identity_accounts WHERE tenant = ? AND username = ?'),
      accounts: p('SELECT * FROM identity_accounts ORDER BY tenant, username'),
      accountsOf: p('SELECT * FROM identity_accounts WHERE tenant = ? ORDER BY username'),
      insertAccount: p(`INSERT OR IGNORE INTO identity_accounts (tenant, username, roles, department, password_hash, disabled, must_change, demo, failed_logins, locked_until, created_at)
        VALUES (@tenant, @username, @roles, @department, @password_hash, @disabled, @must_change, @demo, @failed_logins, @locked_until, @created_at)`),
      updateAccount: p(`UPDATE identity_accounts SET roles = @roles, department = @department, password_hash = @password_hash, disabled = @disabled,
        must_change = @must_change, demo = @demo, failed_logins = @failed_logins, locked_until = @locked_until WHERE tenant = @tenant AND username = @username`),
      insertSession: p('INSERT INTO identity_sessions (token_hash, tenant, username, created_at, expires_at, principal) VALUES (?, ?, ?, ?, ?, ?)'),
      session: p('SELECT * FROM identity_sessions WHERE token_hash = ?'),
      deleteSession: p('DELETE FROM identity_sessions WHERE token_hash = ?'),
      deleteSessionsOf: p('DELETE FROM identity_sessions WHERE tenant = ? AND username = ?'),
      deleteExpired: p('DELETE FROM identity_sessions WHERE expires_at < ?'),
      insertKey: p(`INSERT INTO identity_api_keys (id, tenant, name, roles, scopes, department, secret_hash, created_at, created_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      key: p('SELECT * FROM identity_api_keys WHERE id = ?'),
      keys: p('SELECT * FROM identity_api_keys ORDER BY tenant, created_at, id'),
      keysOf: p('SELECT * FROM identity_api_keys WHERE tenant = ? ORDER BY created_at, id'),
      revokeKey: p('UPDATE identity_api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?'),
      policies: p('SELECT tenant, policy FROM identity_policies'),
      savePolicy: p(`INSERT INTO identity_policies (tenant, policy, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (tenant) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`),
    };
  }

  private accountRow(a: Account) {
    return {
      tenant: a.tenant,
      username: a.username,
      roles: JSON.stringify(a.roles),
      department: a.department ?? null,
      password_hash: a.passwordHash ?? null,
      disabled: a.disabled ? 1 : 0,
      must_change: a.mustChangePassword ? 1 : 0,
      demo: a.demo ? 1 : 0,
      failed_logins: a.failedLogins,
      locked_until: a.lockedUntil ?? null,
      created_at: a.createdAt,
    };
  }

  async countAccounts(): Promise<number> {
    return (this.stmt.count.get() as { n: number }).n;
  }

  async getAccount(tenant: string, username: string): Promise<Account | undefined> {
    const r = this.stmt.account.get(tenant, username) as AccountRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  async listAccounts(tenant?: string): Promise<Account[]> {
    const rows = (tenant === undefined ? this.stmt.accounts.all() : this.stmt.accountsOf.all(tenant)) as AccountRow[];
    return rows.map(toAccount);
  }

  async createAccount(a: Account): Promise<boolean> {
    return this.stmt.insertAccount.run(this.accountRow(a)).changes === 1;
  }

  async updateAccount(a: Account): Promise<void> {
    const { created_at: _, ...row } = this.accountRow(a);
    this.stmt.updateAccount.run(row);
  }

  async createSession(s: Session): Promise<void> {
    this.db.transaction(() => {
      this.stmt.deleteExpired.run(s.createdAt);
      this.stmt.insertSession.run(s.tokenHash, s.tenant, s.username, s.createdAt, s.expiresAt, s.principal ? JSON.stringify(s.principal) : null);
    })();
  }

  async getSession(tokenHash: string): Promise<Session | undefined> {
    const r = this.stmt.session.get(tokenHash) as
      | { token_hash: string; tenant: string; username: string; created_at: string; expires_at: string; principal: string | null }
      | undefined;
    if (!r) return undefined;
    const s: Session = { tokenHash: r.token_hash, tenant: r.tenant, username: r.username, createdAt: r.created_at, expiresAt: r.expires_at };
    if (r.principal !== null) s.principal = JSON.parse(r.principal) as Principal;
    return s;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    this.stmt.deleteSession.run(tokenHash);
  }

  async deleteSessionsOf(tenant: string, username: string): Promise<void> {
    this.stmt.deleteSessionsOf.run(tenant, username);
  }

  async createKey(k: ApiKey): Promise<void> {
    this.stmt.insertKey.run(k.id, k.tenant, k.name, JSON.stringify(k.roles), JSON.stringify(k.scopes), k.department ?? null, k.secretHash, k.createdAt, k.createdBy);
  }

  async getKey(id: string): Promise<ApiKey | undefined> {
    const r = this.stmt.key.get(id) as KeyRow | undefined;
    return r ? toKey(r) : undefined;
  }

  async listKeys(tenant?: string): Promise<ApiKey[]> {
    return ((tenant === undefined ? this.stmt.keys.all() : this.stmt.keysOf.all(tenant)) as KeyRow[]).map(toKey);
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    return this.stmt.revokeKey.run(at, id).changes === 1;
  }

  async listPolicies(): Promise<Array<[string, Policy]>> {
    return (this.stmt.policies.all() as Array<{ tenant: string; policy: string }>).map((r) => [r.tenant, JSON.parse(r.policy) as Policy]);
  }

  async savePolicy(tenant: string, policy: Policy, record: () => void): Promise<void> {
    this.db.transaction(() => {
      this.stmt.savePolicy.run(tenant, JSON.stringify(policy), new Date().toISOString());
      record();
    })();
  }
}
