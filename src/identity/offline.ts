/**
 * Identity and audit of a data directory opened directly, for commands run on the machine
 * (urbis user, urbis key, urbis audit). Works while the server runs (SQLite WAL); what the
 * commands change is audited with client "cli".
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import { ConfigError, SETTINGS } from '../config.js';
import { parseFlags, type FlagSpec } from '../cli/flags.js';
import { openDatabase, type Db } from '../store/sqlite/database.js';
import { SqliteIdentityStore } from '../store/sqlite/identity-store.js';
import { SqliteAuditStore } from '../store/sqlite/audit-store.js';
import { AuditLog } from '../audit/log.js';
import { IdentityService } from './accounts.js';

export interface Offline {
  db: Db;
  accounts: IdentityService;
  audit: AuditLog;
  /** Records what a command did. */
  record(tenant: string, operation: string, resource: string, detail?: string): void;
  close(): void;
}

const DATA_DIR = SETTINGS.find((s) => s.key === 'dataDir')!;

/**
 * Parses `args` (with --data-dir and `flags`) and opens the data directory; with `mustExist`, a
 * directory without a database is an error instead of a new database.
 */
export function openOffline(args: string[], flags: FlagSpec[], mustExist = false): { offline: Offline; flags: Record<string, string>; positional: string[] } {
  const parsed = parseFlags(args, [DATA_DIR, ...flags]);
  const dir = parsed.flags['--data-dir'] ?? process.env[DATA_DIR.env] ?? DATA_DIR.default;
  const file = path.join(path.resolve(dir), 'urbis.db');
  if (mustExist && !existsSync(file)) throw new ConfigError(`there is no Urbis database at ${file} (--data-dir)`);
  const db = openDatabase(file);
  const audit = new AuditLog(new SqliteAuditStore(db));
  const actor = `cli:${userInfo().username}`;
  const offline: Offline = {
    db,
    accounts: new IdentityService(new SqliteIdentityStore(db)),
    audit,
    record: (tenant, operation, resource, detail) => audit.record({ tenant, actor, operation, resource, outcome: 'success', client: 'cli', detail }),
    close: () => db.close(),
  };
  return { offline, ...parsed };
}

/** The one positional argument a sub-command needs. */
export function onePositional(positional: string[], what: string, usage: string): string {
  if (positional.length !== 1) throw new ConfigError(`${usage}: give ${what}`);
  return positional[0];
}
