/**
 * PostgreSQL implementation of identity's Store: accounts, sessions, API keys and tenant
 * policies, shared by every node on the database. Accounts, sessions and keys are read from the
 * database on every request (so a key revoked or an account disabled on one node is refused by
 * all at once); policies are kept in memory by AccessControl, so a saved policy is announced on
 * the bus (CHANNELS.policies) after its commit and the other nodes reload theirs.
 */
import type { Account, ApiKey, IdentityStore, Session } from '../../identity/store.js';
import type { Principal, Role } from '../../identity/principal.js';
import type { Policy } from '../../identity/policy.js';
import { CHANNELS, type ClusterBus } from '../../cluster/bus.js';
import { withActiveTx, type PgDatabase } from './database.js';
import type { SchemaComponent } from './migrate.js';

/** Names and ids sort as in SQLite (by code point), whatever the database's collation. */
export const IDENTITY_SCHEMA: SchemaComponent = {
  component: 'identity',
  migrations: [
    `
    CREATE TABLE identity_accounts (
      tenant        text COLLATE "C" NOT NULL,
      username      text COLLATE "C" NOT NULL,
      roles         jsonb NOT NULL,              -- array of roles
      department    text,
      password_hash text,
      disabled      boolean NOT NULL DEFAULT false,
      must_change   boolean NOT NULL DEFAULT false,
      demo          boolean NOT NULL DEFAULT false,
      failed_logins integer NOT NULL DEFAULT 0,
      locked_until  timestamptz,
      created_at    timestamptz NOT NULL,
      PRIMARY KEY (tenant, username)
    );
    CREATE TABLE identity_sessions (
      token_hash  text PRIMARY KEY,
      tenant      text NOT NULL,
      username    text NOT NULL,
      created_at  timestamptz NOT NULL,
      expires_at  timestamptz NOT NULL,
      principal   json                         -- sessions of single sign-on (no local account)
    );
    CREATE INDEX identity_sessions_by_account ON identity_sessions (tenant, username);
    CREATE INDEX identity_sessions_by_expiry ON identity_sessions (expires_at);
    CREATE TABLE identity_api_keys (
      id          text COLLATE "C" PRIMARY KEY,
      tenant      text COLLATE "C" NOT NULL,
      name        text NOT NULL,
      roles       jsonb NOT NULL,
      scopes      jsonb NOT NULL,
      department  text,
      secret_hash text NOT NULL,
      created_at  timestamptz NOT NULL,
      created_by  text NOT NULL,
      revoked_at  timestamptz
    );
    CREATE INDEX identity_api_keys_by_tenant ON identity_api_keys (tenant, created_at, id);
    CREATE TABLE identity_policies (
      tenant      text PRIMARY KEY,
      policy      json NOT NULL,               -- identity/policy.ts, as written
      updated_at  timestamptz NOT NULL
    );
    `,
  ],
};

interface AccountRow {
  tenant: string;
  username: string;
  roles: Role[];
  department: string | null;
  password_hash: string | null;
  disabled: boolean;
  must_change: boolean;
  demo: boolean;
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date;
}

interface SessionRow {
  token_hash: string;
  tenant: string;
  username: string;
  created_at: Date;
  expires_at: Date;
  principal: Principal | null;
}

interface KeyRow {
  id: string;
  tenant: string;
  name: string;
  roles: Role[];
  scopes: string[];
  department: string | null;
  secret_hash: string;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

function toAccount(r: AccountRow): Account {
  const a: Account = {
    tenant: r.tenant,
    username: r.username,
    roles: r.roles,
    disabled: r.disabled,
    mustChangePassword: r.must_change,
    demo: r.demo,
    failedLogins: r.failed_logins,
    createdAt: r.created_at.toISOString(),
  };
  if (r.department !== null) a.department = r.department;
  if (r.password_hash !== null) a.passwordHash = r.password_hash;
  if (r.locked_until !== null) a.lockedUntil = r.locked_until.toISOString();
  return a;
}

function toKey(r: KeyRow): ApiKey {
  const k: ApiKey = {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    roles: r.roles,
    scopes: r.scopes,
    secretHash: r.secret_hash,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
  };
  if (r.department !== null) k.department = r.department;
  if (r.revoked_at !== null) k.revokedAt = r.revoked_at.toISOString();
  return k;
}

/** The columns every account write sets, in the order of the statements below ($3 to $10). */
function accountValues(a: Account): unknown[] {
  return [a.tenant, a.username, JSON.stringify(a.roles), a.department ?? null, a.passwordHash ?? null, a.disabled, a.mustChangePassword, a.demo, a.failedLogins, a.lockedUntil ?? null];
}

export class PgIdentityStore implements IdentityStore {
  constructor(
    readonly db: PgDatabase,
    readonly bus: ClusterBus,
  ) {}

  /** Nothing is kept in memory here (AccessControl keeps the policies and follows the bus). */
  async init(): Promise<void> {}

  async countAccounts(): Promise<number> {
    const [r] = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM identity_accounts');
    return r.n;
  }

  async getAccount(tenant: string, username: string): Promise<Account | undefined> {
    const [r] = await this.db.query<AccountRow>('SELECT * FROM identity_accounts WHERE tenant = $1 AND username = $2', [tenant, username]);
    return r ? toAccount(r) : undefined;
  }

  async listAccounts(tenant?: string): Promise<Account[]> {
    const rows =
      tenant === undefined
        ? await this.db.query<AccountRow>('SELECT * FROM identity_accounts ORDER BY tenant, username')
        : await this.db.query<AccountRow>('SELECT * FROM identity_accounts WHERE tenant = $1 ORDER BY username', [tenant]);
    return rows.map(toAccount);
  }

  async createAccount(a: Account): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO identity_accounts (tenant, username, roles, department, password_hash, disabled, must_change, demo, failed_logins, locked_until, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant, username) DO NOTHING RETURNING 1`,
      [...accountValues(a), a.createdAt],
    );
    return rows.length === 1;
  }

  async updateAccount(a: Account): Promise<void> {
    await this.db.query(
      `UPDATE identity_accounts SET roles = $3, department = $4, password_hash = $5, disabled = $6, must_change = $7, demo = $8, failed_logins = $9, locked_until = $10
       WHERE tenant = $1 AND username = $2`,
      accountValues(a),
    );
  }

  async createSession(s: Session): Promise<void> {
    // Expired sessions go as new ones come, in the same statement.
    await this.db.query(
      `WITH expired AS (DELETE FROM identity_sessions WHERE expires_at < $4)
       INSERT INTO identity_sessions (token_hash, tenant, username, created_at, expires_at, principal) VALUES ($1, $2, $3, $4, $5, $6)`,
      [s.tokenHash, s.tenant, s.username, s.createdAt, s.expiresAt, s.principal ? JSON.stringify(s.principal) : null],
    );
  }

  async getSession(tokenHash: string): Promise<Session | undefined> {
    const [r] = await this.db.query<SessionRow>('SELECT * FROM identity_sessions WHERE token_hash = $1', [tokenHash]);
    if (!r) return undefined;
    const s: Session = { tokenHash: r.token_hash, tenant: r.tenant, username: r.username, createdAt: r.created_at.toISOString(), expiresAt: r.expires_at.toISOString() };
    if (r.principal !== null) s.principal = r.principal;
    return s;
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.query('DELETE FROM identity_sessions WHERE token_hash = $1', [tokenHash]);
  }

  async deleteSessionsOf(tenant: string, username: string): Promise<void> {
    await this.db.query('DELETE FROM identity_sessions WHERE tenant = $1 AND username = $2', [tenant, username]);
  }

  async createKey(k: ApiKey): Promise<void> {
    await this.db.query(
      `INSERT INTO identity_api_keys (id, tenant, name, roles, scopes, department, secret_hash, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [k.id, k.tenant, k.name, JSON.stringify(k.roles), JSON.stringify(k.scopes), k.department ?? null, k.secretHash, k.createdAt, k.createdBy],
    );
  }

  async getKey(id: string): Promise<ApiKey | undefined> {
    const [r] = await this.db.query<KeyRow>('SELECT * FROM identity_api_keys WHERE id = $1', [id]);
    return r ? toKey(r) : undefined;
  }

  async listKeys(tenant?: string): Promise<ApiKey[]> {
    const rows =
      tenant === undefined
        ? await this.db.query<KeyRow>('SELECT * FROM identity_api_keys ORDER BY tenant, created_at, id')
        : await this.db.query<KeyRow>('SELECT * FROM identity_api_keys WHERE tenant = $1 ORDER BY created_at, id', [tenant]);
    return rows.map(toKey);
  }

  async revokeKey(id: string, at: string): Promise<boolean> {
    const rows = await this.db.query('UPDATE identity_api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2 RETURNING 1', [at, id]);
    return rows.length === 1;
  }

  async listPolicies(): Promise<Array<[string, Policy]>> {
    const rows = await this.db.query<{ tenant: string; policy: Policy }>('SELECT tenant, policy FROM identity_policies');
    return rows.map((r) => [r.tenant, r.policy]);
  }

  async savePolicy(tenant: string, policy: Policy, record: () => void): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO identity_policies (tenant, policy, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (tenant) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
        [tenant, JSON.stringify(policy)],
      );
      // What `record` appends (the audit record) joins this transaction.
      withActiveTx(tx, record);
    });
    this.bus.publish(CHANNELS.policies, { tenant });
  }
}
