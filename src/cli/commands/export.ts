/**
 * `urbis export FILE`: writes the whole instance (every tenant's entities, history,
 * subscriptions and their queues, contexts, accounts, keys, policies, audit log, devices) into one
 * checksummed archive that `urbis import FILE` restores into another database, SQLite or PostgreSQL.
 */
import { ConfigError } from '../../config.js';
import { parseFlags } from '../flags.js';
import { STORE_SETTINGS, storeLocation } from '../../identity/offline.js';
import { openStores } from '../../store/open.js';
import { exportInstance } from '../../store/archive/export.js';
import { Progress } from '../progress.js';
import type { Command } from '../command.js';

export const exportCommand: Command = {
  name: 'export',
  usage: 'urbis export FILE [--data-dir DIR | --store URL]',
  summary: 'write the whole instance into a checksummed archive (urbis import restores it)',
  help: [
    'The archive is gzip-compressed JSON lines with a SHA-256 and per-section counts and digests at',
    'its end. It holds personal data and password hashes: it is written readable by its owner only.',
    'Stop the nodes first for an exact snapshot. Sign-in sessions are not carried.',
    'Example (moving a town to PostgreSQL):',
    '  urbis export city.urbis --data-dir ./data',
    '  urbis migrate --store postgres://urbis@db/urbis',
    '  urbis import city.urbis --store postgres://urbis@db/urbis',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(args, STORE_SETTINGS);
    if (positional.length !== 1) throw new ConfigError(`usage: ${this.usage}`);
    const stores = await openStores(storeLocation(flags));
    try {
      const progress = new Progress(undefined, 'records', 'exported');
      const { trailer, warnings } = await exportInstance(stores, positional[0], (n, section) => {
        if (n % 500 === 0) progress.update(n, section);
      });
      progress.end();
      const counts = Object.entries(trailer.counts).map(([s, n]) => `  ${s.padEnd(18)} ${n}`);
      process.stdout.write(`exported ${stores.location} to ${positional[0]}\n${counts.join('\n')}\nsha256 ${trailer.sha256}\n${warnings.map((w) => `note: ${w}`).join('\n')}\n`);
      return 0;
    } finally {
      await stores.close();
    }
  },
};
