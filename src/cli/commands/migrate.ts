/**
 * `urbis migrate`: brings the database's schema (the SQLite file of --data-dir, or the PostgreSQL
 * database of --store) to this version of Urbis, component by component, and says what it did.
 * `urbis start` creates a new database by itself but never upgrades an existing one, so that the
 * operator backs up first.
 */
import { ConfigError } from '../../config.js';
import { parseFlags } from '../flags.js';
import { STORE_SETTINGS, storeLocation } from '../../identity/offline.js';
import { openStores } from '../../store/open.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'urbis migrate [--data-dir DIR | --store URL]',
  summary: 'upgrade the database schema to this version (back up first)',
  help: [
    'Applies the schema migrations this version of Urbis has and the database has not, for each',
    'component (broker, temporal, subscriptions, identity, audit, ingest), and records them in the',
    'table schema_migrations. Run it with every node stopped, after a backup. Running it again does nothing.',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(args, STORE_SETTINGS);
    if (positional.length > 0) throw new ConfigError('urbis migrate takes no arguments');
    const where = storeLocation(flags);
    const stores = await openStores(where, 'migrate');
    try {
      const lines = stores.schema.map((s) =>
        s.current === s.latest ? `  ${s.component.padEnd(14)} version ${s.latest} (up to date)` : `  ${s.component.padEnd(14)} version ${s.current} → ${s.latest}${s.current === 0 ? ' (created)' : ''}`,
      );
      const changed = stores.schema.filter((s) => s.current !== s.latest).length;
      process.stdout.write(`${stores.kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} database ${stores.location}\n${lines.join('\n')}\n${changed === 0 ? 'nothing to do' : `${changed} component(s) migrated`}\n`);
      return 0;
    } finally {
      await stores.close();
    }
  },
};
