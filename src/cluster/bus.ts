/**
 * Messages between the Urbis nodes that share one database: a node tells the others that
 * something they keep in memory changed (subscriptions, policies, devices, JSON-LD contexts), that
 * work is waiting (notification queues), or hands them what their browsers should see (live
 * updates). A message published reaches every OTHER node, never the one that published it: a
 * node acts on its own changes directly. One node on SQLite has no others: its bus is LocalBus.
 */

/** Channels in use, so that names are not spelled twice. */
export const CHANNELS = {
  /** A subscription was created, changed or deleted: { tenant, id }. */
  subscriptions: 'subscriptions',
  /** Notification items wait in queues: { tenant, id } of each, or {} for the outbox. */
  queues: 'queues',
  /** A tenant's access policy changed: { tenant }. */
  policies: 'policies',
  /** Device gateway service groups or devices changed: {}. */
  devices: 'devices',
  /** A stored JSON-LD context changed: { tenant, id }. */
  contexts: 'contexts',
  /** A notification for an in-process receiver (urn:urbis:internal:<name>): { name, notification }. */
  internal: 'internal',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

export interface ClusterBus {
  /** This node's id (random per process). */
  readonly nodeId: string;
  /** Sends `message` (JSON) to every other node; never throws (a failure is logged by the bus). */
  publish(channel: Channel, message: unknown): void;
  /**
   * Calls `handler` with each message another node publishes on `channel`; returns the unsubscribe.
   * After the bus lost its connection and got it back, messages may have been missed: every
   * handler then receives RESYNC and must reload whatever it keeps in memory.
   */
  subscribe(channel: Channel, handler: (message: unknown) => void): () => void;
  close(): Promise<void>;
}

/** The message every handler receives after a reconnection (see ClusterBus.subscribe). */
export const RESYNC = { resync: true } as const;

export function isResync(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { resync?: unknown }).resync === true;
}

/** The bus of a single node: there is nobody to tell. */
export class LocalBus implements ClusterBus {
  readonly nodeId = 'local';

  publish(): void {}

  subscribe(): () => void {
    return () => {};
  }

  async close(): Promise<void> {}
}
