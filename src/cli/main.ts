/**
 * The `urbis` command line: a registry of commands, each in its own file under cli/commands.
 */
import { ConfigError, SETTINGS } from '../config.js';
import { VERSION } from '../version.js';
import type { Command } from './command.js';
import { startCommand } from './commands/start.js';
import { userCommand } from './commands/user.js';
import { keyCommand } from './commands/key.js';
import { auditCommand } from './commands/audit.js';
import { importCommand } from './commands/import.js';
import { migrateCommand } from './commands/migrate.js';
import { exportCommand } from './commands/export.js';
import { SchemaBehindError } from '../store/stores.js';

/** Every command; add one here after writing it under cli/commands. */
export const COMMANDS: Command[] = [startCommand, migrateCommand, exportCommand, importCommand, userCommand, keyCommand, auditCommand];

export function helpText(): string {
  const rows = SETTINGS.map((s) => {
    const flag = s.boolean ? `${s.flag} / --no-${s.flag.slice(2)}` : `${s.flag} <value>`;
    return `  ${flag.padEnd(30)} ${s.description}\n  ${''.padEnd(30)} env ${s.env}, default ${s.default === '' ? '(empty)' : s.default}`;
  });
  return [
    `urbis ${VERSION} — an open, people-centred smart-city platform (NGSI-LD context broker)`,
    '',
    'Usage:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(40)} ${c.summary}`),
    `  ${'urbis <command> --help'.padEnd(40)} help on one command`,
    `  ${'urbis --version'.padEnd(40)} show the version`,
    '',
    'Server options of urbis start (flag, then environment variable, then default):',
    ...rows,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number | void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`urbis: unknown command "${name}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.name === 'start' ? helpText() : `Usage: ${command.usage}\n  ${command.summary}\n${command.help ? '\n' + command.help + '\n' : ''}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SchemaBehindError) {
      process.stderr.write(`urbis: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
