/**
 * The cluster bus on a real PostgreSQL database (LISTEN/NOTIFY), with several buses standing for
 * several nodes: delivery to the other nodes only, order, messages too big for a notification,
 * clean-up of those, reconnection after the listening connection is cut (with RESYNC), and
 * publish never throwing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { PgDatabase } from '../../src/store/postgres/database.js';
import { MAX_NOTIFY_BYTES, PgBus } from '../../src/store/postgres/bus.js';
import { CHANNELS, isResync } from '../../src/cluster/bus.js';
import { createTestDatabase, dropTestDatabase } from '../helpers/postgres.js';

const KEY = `bus-test-${process.pid}`;
let url: string;
const opened: Array<{ db: PgDatabase; bus: PgBus }> = [];

interface Node {
  bus: PgBus;
  db: PgDatabase;
  warnings: string[];
  /** Messages received per channel. */
  got: Map<string, unknown[]>;
}

async function node(): Promise<Node> {
  const db = new PgDatabase(url, { max: 3 });
  const warnings: string[] = [];
  const bus = new PgBus(db, { warn: (line) => warnings.push(line) });
  await bus.start();
  opened.push({ db, bus });
  const got = new Map<string, unknown[]>();
  for (const channel of Object.values(CHANNELS)) {
    got.set(channel, []);
    bus.subscribe(channel, (m) => got.get(channel)!.push(m));
  }
  return { bus, db, warnings, got };
}

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sql(text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  url = await createTestDatabase(inject('postgresUrl'), KEY);
});

afterAll(async () => {
  for (const { db, bus } of opened) {
    await bus.close();
    await db.close().catch(() => {});
  }
  await dropTestDatabase(inject('postgresUrl'), KEY);
});

describe('PgBus', () => {
  it('delivers a message to every other node, never back to the node that sent it', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    a.bus.publish(CHANNELS.policies, { tenant: 'north' });
    await until('b and c to hear a', () => b.got.get('policies')!.length === 1 && c.got.get('policies')!.length === 1);
    expect(b.got.get('policies')).toEqual([{ tenant: 'north' }]);
    expect(c.got.get('policies')).toEqual([{ tenant: 'north' }]);
    // a's own message was sent before b's: once a hears b, it would have heard itself.
    b.bus.publish(CHANNELS.policies, { tenant: 'south' });
    await until('a to hear b', () => a.got.get('policies')!.length === 1);
    expect(a.got.get('policies')).toEqual([{ tenant: 'south' }]);
    expect(b.got.get('policies')).toEqual([{ tenant: 'north' }]);
    // Channels are apart.
    expect(b.got.get('devices')).toEqual([]);
  });

  it('keeps the order of messages, small ones and ones too big for a notification alike', async () => {
    const [a, b] = [await node(), await node()];
    const sent: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      // Every fifth message is bigger than a notification may be; one is a megabyte.
      const size = i === 30 ? 1024 * 1024 : i % 5 === 0 ? MAX_NOTIFY_BYTES + i : 10 + i;
      const message = { name: `receiver-${i}`, notification: { data: 'é'.repeat(size / 2) } };
      sent.push(message);
      a.bus.publish(CHANNELS.internal, message);
    }
    // Identical messages are not merged into one.
    a.bus.publish(CHANNELS.queues, {});
    a.bus.publish(CHANNELS.queues, {});
    await until('b to hear all 60', () => b.got.get('internal')!.length === 60, 30_000);
    expect(b.got.get('internal')).toEqual(sent);
    await until('both queue messages', () => b.got.get('queues')!.length === 2);
    const [{ n }] = await sql('SELECT count(*)::int AS n FROM cluster_messages');
    expect(n).toBeGreaterThanOrEqual(12);
  });

  it('deletes big messages older than ten minutes when it sends the next big one', async () => {
    const [a, b] = [await node(), await node()];
    const [{ id }] = await sql("INSERT INTO cluster_messages (channel, payload, sent_at) VALUES ('urbis_internal', '{}', now() - interval '11 minutes') RETURNING id");
    a.bus.publish(CHANNELS.internal, { big: 'x'.repeat(MAX_NOTIFY_BYTES) });
    await until('b to hear the big message', () => b.got.get('internal')!.length === 1);
    await until('the old message to be deleted', async () => (await sql('SELECT 1 FROM cluster_messages WHERE id = $1', [id])).length === 0);
    expect(await sql("SELECT 1 FROM cluster_messages WHERE sent_at > now() - interval '1 minute'")).not.toHaveLength(0);
  });

  it('reconnects when its connection is cut, tells every handler to resync, and hears what follows', async () => {
    const [a, b] = [await node(), await node()];
    // Cut every listening connection of this database (b's among them).
    const cut = await sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'urbis-bus'");
    expect(cut.length).toBeGreaterThanOrEqual(2);
    await until('b to resync', () => Object.values(CHANNELS).every((c) => b.got.get(c)!.some(isResync)));
    expect(b.warnings.join('\n')).toMatch(/cluster bus/);
    a.bus.publish(CHANNELS.devices, { after: 'reconnection' });
    await until('b to hear a after reconnecting', () => b.got.get('devices')!.some((m) => (m as { after?: string }).after === 'reconnection'));
    // And b can still send.
    b.bus.publish(CHANNELS.devices, { from: 'b' });
    await until('a to hear b', () => a.got.get('devices')!.some((m) => (m as { from?: string }).from === 'b'));
  });

  it('never throws from publish: what cannot be sent is warned about', async () => {
    const a = await node();
    expect(() => a.bus.publish(CHANNELS.devices, { n: 1n })).not.toThrow();
    expect(a.warnings.join('\n')).toMatch(/BigInt/);
    await a.db.close();
    expect(() => a.bus.publish(CHANNELS.devices, { after: 'the pool closed' })).not.toThrow();
    await a.bus.close();
    expect(() => a.bus.publish(CHANNELS.devices, { after: 'close' })).not.toThrow();
  });
});
