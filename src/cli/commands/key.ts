/**
 * `urbis key create|revoke|list`: API keys, on the data directory directly. The key is printed
 * once; use it as `Authorization: Bearer <key>`.
 */
import { ConfigError } from '../../config.js';
import { NgsiError } from '../../errors.js';
import { onePositional, openOffline } from '../../identity/offline.js';
import type { Command } from '../command.js';

const FLAGS = [{ flag: '--role' }, { flag: '--tenant' }, { flag: '--name' }, { flag: '--scopes' }, { flag: '--department' }];

export const keyCommand: Command = {
  name: 'key',
  usage: 'urbis key create|revoke|list [ID] [options]',
  summary: 'manage API keys (printed once, stored hashed)',
  help: [
    'urbis key create --role ROLE[,ROLE] [--name N] [--scopes read,write] [--department D] [--tenant T]',
    '    prints the key: send it as Authorization: Bearer <key>',
    'urbis key revoke ID',
    'urbis key list [--tenant T]',
    'Every form takes --data-dir (URBIS_DATA_DIR, default ./data), or --store URL (URBIS_STORE) for PostgreSQL.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (!['create', 'revoke', 'list'].includes(sub ?? '')) throw new ConfigError(`usage: ${this.usage}`);
    const { offline, flags, positional } = await openOffline(rest, FLAGS);
    const tenant = flags['--tenant'] ?? '';
    try {
      if (sub === 'list') {
        for (const k of await offline.accounts.listKeys(flags['--tenant'])) {
          process.stdout.write(`${k.id}\t${k.tenant === '' ? '(default)' : k.tenant}\t${k.name}\t${k.roles.join(',')}\t${k.scopes.join(',')}\t${k.revokedAt ? 'revoked' : 'active'}\n`);
        }
        return 0;
      }
      if (sub === 'create') {
        if (!flags['--role']) throw new ConfigError('urbis key create: give --role');
        const { key, text } = await offline.accounts.createKey({
          tenant,
          name: flags['--name'],
          roles: flags['--role'],
          scopes: flags['--scopes'],
          department: flags['--department'],
          createdBy: 'cli',
        });
        offline.record(tenant, 'key.create', `key:${key.id}`, `roles ${key.roles.join(',')}; scopes ${key.scopes.join(',')}`);
        process.stderr.write(`created API key ${key.id} (${key.roles.join(',')}; ${key.scopes.join(',')}); it is shown only now:\n`);
        process.stdout.write(text + '\n');
        return 0;
      }
      const id = onePositional(positional, 'the key id', 'urbis key revoke');
      if (!(await offline.accounts.revokeKey(id))) {
        process.stderr.write(`urbis key revoke: no API key ${id}\n`);
        return 1;
      }
      offline.record(tenant, 'key.revoke', `key:${id}`);
      process.stdout.write(`revoked ${id}\n`);
      return 0;
    } catch (err) {
      if (err instanceof NgsiError) {
        process.stderr.write(`urbis key ${sub}: ${err.detail}\n`);
        return 2;
      }
      throw err;
    } finally {
      await offline.close();
    }
  },
};
