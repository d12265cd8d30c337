/**
 * Identity and audit of an Urbis database opened directly, for commands run on the machine
 * (urbis user, urbis key, urbis audit): the SQLite file of --data-dir, or the PostgreSQL database
 * of --store. Works while servers run (SQLite WAL; PostgreSQL); what the commands change is
 * audited with client "cli".
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import { ConfigError, SETTINGS } from '../config.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';
import { isPostgresUrl, openStores } from '../store/open.js';
import { DATABASE_FILE } from '../store/sqlite/index.js';
import type { Stores } from '../store/stores.js';
import { AuditLog } from '../audit/log.js';
import { IdentityService } from './accounts.js';

export interface Offline {
  stores: Stores;
  accounts: IdentityService;
  audit: AuditLog;
  /** Records what a command did. */
  record(tenant: string, operation: string, resource: string, detail?: string): void;
  /** Writes what is pending and closes the database. */
  close(): Promise<void>;
}

/** The settings that say where the data is: --data-dir and --store. */
export const STORE_SETTINGS = SETTINGS.filter((s) => s.key === 'dataDir' || s.key === 'store');

/** Where the data is, from the flags (or the environment, or the defaults). */
export function storeLocation(flags: Record<string, string>): { dataDir: string; store: string } {
  const value = (key: string) => {
    const s = STORE_SETTINGS.find((x) => x.key === key)!;
    return flags[s.flag] ?? (process.env[s.env] || s.default);
  };
  const store = value('store');
  if (store !== '' && !isPostgresUrl(store)) throw new ConfigError(`--store: "${store}" is not a postgres:// URL`);
  return { dataDir: path.resolve(value('dataDir')), store };
}

/**
 * Parses `args` (with --data-dir, --store and `flags`) and opens the database; with `mustExist`, a
 * data directory without a SQLite database is an error instead of a new database.
 */
export async function openOffline(args: string[], flags: FlagSpec[], mustExist = false): Promise<{ offline: Offline; flags: Record<string, string>; positional: string[] }> {
  const parsed = parseFlags(args, [...STORE_SETTINGS, ...flags]);
  const where = storeLocation(parsed.flags);
  const file = path.join(where.dataDir, DATABASE_FILE);
  if (mustExist && where.store === '' && !existsSync(file)) throw new ConfigError(`there is no Urbis database at ${file} (--data-dir)`);
  const stores = await openStores(where);
  const audit = new AuditLog(stores.audit);
  const actor = `cli:${userInfo().username}`;
  const offline: Offline = {
    stores,
    accounts: new IdentityService(stores.identity),
    audit,
    record: (tenant, operation, resource, detail) => audit.record({ tenant, actor, operation, resource, outcome: 'success', client: 'cli', detail }),
    async close() {
      await audit.close();
      // The audit store writes entries appended outside a transaction in the background: wait for them.
      await stores.audit.head();
      await stores.close();
    },
  };
  return { offline, ...parsed };
}

/** The one positional argument a sub-command needs. */
export function onePositional(positional: string[], what: string, usage: string): string {
  if (positional.length !== 1) throw new ConfigError(`${usage}: give ${what}`);
  return positional[0];
}
