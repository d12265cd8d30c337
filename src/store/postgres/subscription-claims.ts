/**
 * A node's claims on subscriptions (the right to deliver a subscription's queue and to run its
 * periodic notifications): session-level advisory locks held on a connection of the node's own,
 * outside the pool. PostgreSQL releases a session's locks when its connection ends, so the claims
 * of a node that dies go with it and other nodes take its subscriptions over.
 *
 * A node must never believe it holds a claim that PostgreSQL has already given to another node. The
 * node checks its connection every 2 s and drops every claim as soon as a check fails or takes
 * longer than 3 s (any failed statement on the connection does the same), so it stops within about
 * 5 s of losing the connection; PostgreSQL only ends a silent connection after 25 s (the TCP
 * keepalive settings the connection asks for), so the claims are free for others only after that.
 * A node killed outright closes its socket, and its claims are free at once.
 */
import pg from 'pg';

/** First key of the advisory locks of claims ('urbq'); the second is hashtext(claimKey). */
export const CLAIM_LOCKS = 0x75726271;

const CHECK_EVERY_MS = 2_000;
const CHECK_TIMEOUT_MS = 3_000;
/** PostgreSQL's side: first probe after 10 s of silence, then every 5 s, given up after 3 unanswered. */
const SERVER_KEEPALIVE = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';

/** The text whose hashtext is the second lock key of a subscription's claim (SQL: tenant || E'\n' || id). */
export const claimKey = (tenant: string, id: string) => `${tenant}\n${id}`;

export class SubscriptionClaims {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  /** Claims held, by claimKey. */
  private readonly held = new Set<string>();
  /** Claims being asked for (two callers asking at once share the answer). */
  private readonly asking = new Map<string, Promise<boolean>>();
  private check: NodeJS.Timeout | undefined;
  /** Statements on the connection, one after the other. */
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Backend process id of the connection (0 when there is none): its locks are this node's. */
  pid = 0;

  constructor(private readonly url: string) {}

  claim(tenant: string, id: string): Promise<boolean> {
    const key = claimKey(tenant, id);
    if (this.held.has(key)) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    let answer = this.asking.get(key);
    if (!answer) {
      answer = this.tryLock(key).finally(() => this.asking.delete(key));
      this.asking.set(key, answer);
    }
    return answer;
  }

  async release(tenant: string, id: string): Promise<void> {
    const key = claimKey(tenant, id);
    if (!this.held.delete(key) || !this.client) return;
    const client = this.client;
    await this.run(client, 'SELECT pg_advisory_unlock($1, hashtext($2))', [CLAIM_LOCKS, key]).catch(() => this.lost(client));
  }

  /** Ends the connection: every claim is released. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.check);
    this.held.clear();
    const client = this.client;
    this.client = undefined;
    this.pid = 0;
    await client?.end().catch(() => {});
  }

  private async tryLock(key: string): Promise<boolean> {
    let client: pg.Client;
    try {
      client = await this.connection();
    } catch {
      // No connection: no claim (the next attempt connects again).
      return false;
    }
    try {
      const rows = await this.run<{ ok: boolean }>(client, 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [CLAIM_LOCKS, key]);
      if (!rows[0].ok || client !== this.client) return false;
      this.held.add(key);
      return true;
    } catch {
      this.lost(client);
      return false;
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'urbis-claims', keepAlive: true, query_timeout: CHECK_TIMEOUT_MS, options: SERVER_KEEPALIVE });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      const rows = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      if (this.closed) throw new Error('closed');
      this.pid = rows.rows[0].pid;
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    this.client = client;
    clearInterval(this.check);
    this.check = setInterval(() => this.run(client, 'SELECT 1').catch(() => this.lost(client)), CHECK_EVERY_MS);
    this.check.unref();
    return client;
  }

  private run<T extends pg.QueryResultRow>(client: pg.Client, sql: string, params: unknown[] = []): Promise<T[]> {
    const result = this.last.catch(() => {}).then(async () => (await client.query<T>(sql, params)).rows);
    this.last = result;
    return result;
  }

  /** The connection failed: every claim is gone (PostgreSQL frees them when it ends the session). */
  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.pid = 0;
    this.held.clear();
    clearInterval(this.check);
    client.end().catch(() => {});
  }
}
