/**
 * The cluster bus on PostgreSQL LISTEN/NOTIFY. Each channel of CHANNELS is the PostgreSQL channel
 * `urbis_<channel>`; a notification's payload is `{"from": <node id>, "n": <counter>, "message": ...}`,
 * and a node ignores what it sent itself. PostgreSQL refuses payloads of 8,000 bytes or more, so a
 * bigger message is inserted into `cluster_messages` and the notification carries its row id
 * (`"ref"`) instead; receivers read the row, and rows older than ten minutes are deleted by the
 * next big message. Messages are sent in the order they were published (one statement after the
 * other, those waiting together in one statement) and handed to handlers in the order they
 * arrive, big ones included.
 *
 * The node listens on a connection of its own (not from the pool), checked every 30 s. When it
 * drops, the bus reconnects with a growing delay (0.1 s to 10 s) and then hands RESYNC to every
 * handler: messages sent meanwhile are lost, so what nodes keep in memory must be reloaded.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { CHANNELS, RESYNC, type Channel, type ClusterBus } from '../../cluster/bus.js';
import type { PgDatabase } from './database.js';
import { migratePostgres, type SchemaComponent } from './migrate.js';
import { BurstWarning } from './burst-warning.js';

/**
 * The table of big messages. It only ever holds messages in transit, so the bus applies its own
 * migrations when it starts, whatever the schema mode.
 */
export const BUS_SCHEMA: SchemaComponent = {
  component: 'bus',
  migrations: [
    `CREATE TABLE cluster_messages (
       id       bigserial PRIMARY KEY,
       channel  text NOT NULL,
       payload  text NOT NULL,
       sent_at  timestamptz NOT NULL DEFAULT now()
     );
     CREATE INDEX cluster_messages_by_time ON cluster_messages (sent_at);`,
  ],
};

/** Largest payload sent in the notification itself (PostgreSQL's limit is 8,000 bytes). */
export const MAX_NOTIFY_BYTES = 7500;
/** Big messages older than this are deleted (receivers read them within milliseconds). */
const KEEP_MESSAGES = '10 minutes';
const CLEANUP_EVERY_MS = 60_000;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 10_000;
const HEARTBEAT_MS = 30_000;
/** Notifications sent in one statement at most. */
const SEND_BATCH = 500;

/** The PostgreSQL channel of a bus channel. */
export const pgChannel = (channel: Channel) => `urbis_${channel}`;

const BY_PG_CHANNEL = new Map<string, Channel>(Object.values(CHANNELS).map((c) => [pgChannel(c), c]));

interface Outgoing {
  channel: Channel;
  /** The message as JSON. */
  json: string;
}

type Handler = (message: unknown) => void;

export class PgBus implements ClusterBus {
  readonly nodeId = randomUUID();
  private readonly handlers = new Map<Channel, Set<Handler>>();
  private readonly warning: BurstWarning;
  private client: pg.Client | undefined;
  private closed = false;
  private counter = 0;
  private outbox: Outgoing[] = [];
  private sending: Promise<void> | undefined;
  /** Incoming messages are handled one after the other (a big one is read from its table first). */
  private inbound: Promise<void> = Promise.resolve();
  private lastCleanup = 0;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    readonly db: PgDatabase,
    opts: { warn?: (line: string) => void } = {},
  ) {
    this.warning = new BurstWarning('cluster bus', opts.warn);
  }

  /** Applies the bus's schema, connects and listens. */
  async start(): Promise<void> {
    await migratePostgres(this.db, [BUS_SCHEMA], 'migrate');
    this.client = await this.connect();
    this.heartbeat = setInterval(() => this.check(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  publish(channel: Channel, message: unknown): void {
    if (this.closed) return;
    let json: string | undefined;
    try {
      json = JSON.stringify(message);
    } catch (err) {
      this.warning.warn(err);
      return;
    }
    if (json === undefined) return;
    this.outbox.push({ channel, json });
    this.sending ??= this.send();
  }

  subscribe(channel: Channel, handler: Handler): () => void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    await this.sending;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
    await this.inbound;
    this.handlers.clear();
  }

  // ---- Sending ----

  private async send(): Promise<void> {
    while (this.outbox.length > 0) {
      const batch = this.outbox.splice(0, SEND_BATCH);
      try {
        await this.deliver(batch);
      } catch (err) {
        // The others are told to resync when their own connection comes back.
        this.warning.warn(err);
      }
    }
    this.sending = undefined;
  }

  /** Sends a batch in order: runs of small messages in one statement, each big one in its own. */
  private async deliver(batch: Outgoing[]): Promise<void> {
    let run: { channels: string[]; payloads: string[] } = { channels: [], payloads: [] };
    const flush = async () => {
      if (run.channels.length === 0) return;
      const { channels, payloads } = run;
      run = { channels: [], payloads: [] };
      await this.db.query('SELECT pg_notify(c, p) FROM unnest($1::text[], $2::text[]) AS m(c, p)', [channels, payloads]);
    };
    for (const m of batch) {
      const envelope = `{"from":${JSON.stringify(this.nodeId)},"n":${++this.counter},"message":${m.json}}`;
      if (Buffer.byteLength(envelope) <= MAX_NOTIFY_BYTES) {
        run.channels.push(pgChannel(m.channel));
        run.payloads.push(envelope);
        continue;
      }
      await flush();
      await this.db.query(
        `WITH m AS (INSERT INTO cluster_messages (channel, payload) VALUES ($1, $2) RETURNING id)
         SELECT pg_notify($1, json_build_object('from', $3::text, 'n', $4::bigint, 'ref', m.id)::text) FROM m`,
        [pgChannel(m.channel), m.json, this.nodeId, this.counter],
      );
      if (Date.now() - this.lastCleanup > CLEANUP_EVERY_MS) {
        this.lastCleanup = Date.now();
        await this.db.query(`DELETE FROM cluster_messages WHERE sent_at < now() - interval '${KEEP_MESSAGES}'`);
      }
    }
    await flush();
  }

  // ---- Receiving ----

  private receive(n: pg.Notification): void {
    const channel = BY_PG_CHANNEL.get(n.channel);
    if (!channel || n.payload === undefined) return;
    let envelope: { from?: unknown; message?: unknown; ref?: unknown };
    try {
      envelope = JSON.parse(n.payload) as typeof envelope;
    } catch (err) {
      this.warning.warn(err);
      return;
    }
    if (envelope.from === this.nodeId) return;
    const ref = envelope.ref;
    this.inbound = this.inbound.then(async () => {
      if (ref === undefined) return this.dispatch(channel, envelope.message);
      try {
        const rows = await this.db.query<{ payload: string }>('SELECT payload FROM cluster_messages WHERE id = $1', [ref]);
        if (rows.length === 0) throw new Error(`message ${String(ref)} on ${channel} is no longer in cluster_messages`);
        this.dispatch(channel, JSON.parse(rows[0].payload));
      } catch (err) {
        this.warning.warn(err);
      }
    });
  }

  private dispatch(channel: Channel, message: unknown): void {
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (err) {
        this.warning.warn(err);
      }
    }
  }

  // ---- The listening connection ----

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.db.url, application_name: 'urbis-bus', keepAlive: true, query_timeout: 10_000 });
    client.on('notification', (n) => this.receive(n));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the listening connection closed')));
    try {
      await client.connect();
      await client.query(Object.values(CHANNELS).map((c) => `LISTEN ${pgChannel(c)}`).join('; '));
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    return client;
  }

  /** The heartbeat: a connection that no longer answers is replaced. */
  private check(): void {
    const client = this.client;
    client?.query('SELECT 1').catch((err: unknown) => this.lost(client, err));
  }

  private lost(client: pg.Client, err: unknown): void {
    if (this.closed || client !== this.client) return;
    this.client = undefined;
    this.warning.warn(err);
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.reconnectTimer = setTimeout(() => void this.reconnect(), this.reconnectDelay);
    this.reconnectTimer.unref();
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  private async reconnect(): Promise<void> {
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch (err) {
      this.warning.warn(err);
      if (!this.closed) this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Messages may have been missed while the connection was down.
    for (const channel of this.handlers.keys()) {
      this.inbound = this.inbound.then(() => this.dispatch(channel, RESYNC));
    }
  }
}
