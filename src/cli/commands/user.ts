/**
 * `urbis user add|list|disable|enable`: local accounts, on the data directory directly.
 */
import { ConfigError } from '../../config.js';
import { NgsiError } from '../../errors.js';
import { onePositional, openOffline } from '../../identity/offline.js';
import type { Command } from '../command.js';

const FLAGS = [{ flag: '--role' }, { flag: '--tenant' }, { flag: '--department' }, { flag: '--password' }];

export const userCommand: Command = {
  name: 'user',
  usage: 'urbis user add|list|disable|enable [NAME] [options]',
  summary: 'manage local accounts (admin, operator, analyst, data-steward, auditor, resident, device)',
  help: [
    'urbis user add NAME --role ROLE[,ROLE] [--department D] [--password P] [--tenant T]',
    '    without --password, prints a one-time password (to be changed at the first sign-in)',
    'urbis user list [--tenant T]',
    'urbis user disable NAME [--tenant T]    (ends its sessions)',
    'urbis user enable NAME [--tenant T]',
    'Every form takes --data-dir (URBIS_DATA_DIR, default ./data), or --store URL (URBIS_STORE) for PostgreSQL.',
  ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (!['add', 'list', 'disable', 'enable'].includes(sub ?? '')) throw new ConfigError(`usage: ${this.usage}`);
    const { offline, flags, positional } = await openOffline(rest, FLAGS);
    const tenant = flags['--tenant'] ?? '';
    try {
      if (sub === 'list') {
        for (const a of await offline.accounts.listUsers(flags['--tenant'])) {
          const state = a.disabled ? 'disabled' : a.mustChangePassword ? 'must change password' : 'active';
          process.stdout.write(`${a.tenant === '' ? '(default)' : a.tenant}\t${a.username}\t${a.roles.join(',')}${a.department ? `\t${a.department}` : ''}\t${state}${a.demo ? '\tDEMO' : ''}\n`);
        }
        return 0;
      }
      const name = onePositional(positional, 'the account name', `urbis user ${sub}`);
      if (sub === 'add') {
        if (!flags['--role']) throw new ConfigError('urbis user add: give --role');
        const { account, password } = await offline.accounts.addUser({ tenant, username: name, roles: flags['--role'], department: flags['--department'], password: flags['--password'] });
        offline.record(tenant, 'account.create', `account:${name}`, `roles ${account.roles.join(',')}`);
        process.stdout.write(flags['--password'] ? `created ${name}\n` : `created ${name} with the one-time password (change it at the first sign-in):\n${password}\n`);
        return 0;
      }
      if (!(await offline.accounts.setDisabled(tenant, name, sub === 'disable'))) {
        process.stderr.write(`urbis user ${sub}: no account named ${name}\n`);
        return 1;
      }
      offline.record(tenant, `account.${sub}`, `account:${name}`);
      process.stdout.write(`${sub}d ${name}\n`);
      return 0;
    } catch (err) {
      if (err instanceof NgsiError) {
        process.stderr.write(`urbis user ${sub}: ${err.detail}\n`);
        return 2;
      }
      throw err;
    } finally {
      await offline.close();
    }
  },
};
