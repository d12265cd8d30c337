/**
 * The `urbis` command line.
 */
import { ConfigError, SETTINGS, resolveConfig } from '../config.js';
import { startServer } from '../server/start.js';
import { VERSION } from '../version.js';


export function helpText(): string {
  const rows = SETTINGS.map((s) => `  ${(s.flag + ' <value>').padEnd(26)} ${s.description}\n  ${''.padEnd(26)} env ${s.env}, default ${s.default}`);
  return [
    `urbis ${VERSION} — an open, people-centred smart-city platform (NGSI-LD context broker)`,
    '',
    'Usage:',
    '  urbis start [options]     serve the API at http://<host>:<port>/ngsi-ld/v1',
    '  urbis --help              show this help',
    '  urbis --version           show the version',
    '',
    'Options (flag, then environment variable, then default):',
    ...rows,
    '',
  ].join('\n');
}

/** Splits `--flag value` and `--flag=value` pairs; rejects unknown flags. */
export function parseFlags(args: string[]): Record<string, string> {
  const known = new Set(SETTINGS.map((s) => s.flag));
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.has(flag)) throw new ConfigError(`unknown option "${flag}" (see urbis --help)`);
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
    out[flag] = value;
  }
  return out;
}

export async function main(argv: string[]): Promise<number | void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  if (command !== 'start') {
    process.stderr.write(`urbis: unknown command "${command}"\n\n${helpText()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText());
    return 0;
  }
  let config;
  try {
    config = resolveConfig(parseFlags(rest));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`urbis: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  await startServer(config);
}
