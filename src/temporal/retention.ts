/**
 * History retention: the policy (`--retention "Vehicle=30,*=365"`: days of history kept per entity
 * type, `*` for every other type; empty keeps everything) and the background job that applies it.
 * The job deletes expired instances (observedAt, or createdAt without it, older than the limit) in
 * small chunks, each its own short transaction, yielding to the event loop between chunks so that
 * writes and reads are never held up. It runs at start and then periodically. When `*` is given
 * (so every entity's history has a limit), a store that can remove whole old months at once (the
 * PostgreSQL store drops partitions) first does so for what is older than the longest limit.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ConfigError } from '../config.js';
import type { TemporalStore } from './store.js';

export interface RetentionRule {
  /** Expanded type IRIs the rule applies to (a short name may expand to several). */
  types: string[];
  days: number;
}

export interface RetentionPolicy {
  rules: RetentionRule[];
  /** Days for entities of no listed type (`*`), if given. */
  others?: number;
}

const DAY_MS = 86_400_000;

/**
 * Parses the retention setting. `expand` gives the IRIs a short type name may stand for; a name
 * containing ':' is taken as a full IRI. Throws ConfigError naming the part at fault.
 */
export function parseRetention(text: string, expand: (name: string) => string[], where = '--retention'): RetentionPolicy {
  const policy: RetentionPolicy = { rules: [] };
  if (text.trim() === '') return policy;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) throw new ConfigError(`${where}: "${part.trim()}" is not TYPE=DAYS (example: "Vehicle=30,*=365")`);
    const [, name, daysText] = m;
    const days = Number(daysText);
    if (!/^\d+(\.\d+)?$/.test(daysText) || !(days > 0)) throw new ConfigError(`${where}: "${daysText}" for ${name} is not a number of days above 0`);
    if (seen.has(name)) throw new ConfigError(`${where}: ${name} is given twice`);
    seen.add(name);
    if (name === '*') policy.others = days;
    else policy.rules.push({ types: name.includes(':') ? [name] : [...new Set(expand(name))], days });
  }
  // Strictest first: an entity with several listed types keeps the shortest history.
  policy.rules.sort((a, b) => a.days - b.days);
  return policy;
}

export interface RetentionJobOptions {
  intervalMs: number;
  /** Instances deleted per transaction. */
  chunk: number;
  onError: (err: unknown) => void;
  onDeleted: (count: number) => void;
}

/** Starts the job (first run now); returns the closer that stops it and waits for a run in progress. */
export function startRetention(store: TemporalStore, policy: RetentionPolicy, options: RetentionJobOptions): () => Promise<void> {
  if (policy.rules.length === 0 && policy.others === undefined) return async () => {};
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const applyOnce = async (): Promise<number> => {
    let deleted = 0;
    // With `*`, no entity keeps more than the longest limit: what is older goes in bulk where the store can.
    if (policy.others !== undefined && store.dropExpired) {
      const longest = Math.max(policy.others, ...policy.rules.map((r) => r.days));
      deleted += await store.dropExpired(Date.now() - longest * DAY_MS);
    }
    const done = new Set<number>();
    const sweep = async (pks: number[], days: number) => {
      const before = Date.now() - days * DAY_MS;
      for (const pk of pks) {
        if (done.has(pk)) continue;
        done.add(pk);
        for (;;) {
          if (stopped) return;
          const n = await store.deleteExpired(pk, before, options.chunk);
          deleted += n;
          await yieldToEventLoop();
          if (n < options.chunk) break;
        }
      }
    };
    for (const rule of policy.rules) await sweep(await store.entitiesForRetention(rule.types, false), rule.days);
    if (policy.others !== undefined) {
      await sweep(await store.entitiesForRetention(policy.rules.flatMap((r) => r.types), true), policy.others);
    }
    return deleted;
  };
  let busy = false;
  const run = () => {
    if (busy || stopped) return;
    busy = true;
    running = applyOnce()
      .then((n) => {
        if (n > 0) options.onDeleted(n);
      }, options.onError)
      .finally(() => {
        busy = false;
      });
  };
  run();
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
