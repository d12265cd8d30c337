/**
 * `urbis audit verify`: recomputes the hash chain of the audit log and names the first broken
 * record (exit 1 when the chain is broken).
 */
import { ConfigError } from '../../config.js';
import { openOffline } from '../../identity/offline.js';
import type { Command } from '../command.js';

export const auditCommand: Command = {
  name: 'audit',
  usage: 'urbis audit verify [--data-dir DIR | --store URL]',
  summary: 'check the audit log: exit 0 when intact, 1 naming the first broken record',
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'verify') throw new ConfigError(`usage: ${this.usage}`);
    const { offline, positional } = await openOffline(rest, [], true);
    try {
      if (positional.length > 0) throw new ConfigError('urbis audit verify takes no arguments');
      const r = await offline.audit.verify();
      if (r.ok) {
        process.stdout.write(`audit log intact: ${r.checked} records\n`);
        return 0;
      }
      process.stdout.write(`audit log BROKEN at record ${r.broken!.seq}: ${r.broken!.reason} (${r.checked} records verified before it)\n`);
      return 1;
    } finally {
      await offline.close();
    }
  },
};
