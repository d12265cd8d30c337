/**
 * Command-line flags: `--flag value`, `--flag=value`, and for switches `--flag` / `--no-flag`.
 */
import { ConfigError, SETTINGS, type Setting } from '../config.js';

/** A flag a command takes besides the server settings. */
export interface FlagSpec {
  flag: string;
  boolean?: true;
}

/**
 * Splits flags into `{"--port": "8080", "--open": "true"}` and positional arguments; rejects
 * unknown flags. `known` are the flags accepted (by default every server setting).
 */
export function parseFlags(args: string[], known: Array<Setting | FlagSpec> = SETTINGS): { flags: Record<string, string>; positional: string[] } {
  const byFlag = new Map(known.map((s) => [s.flag, s]));
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq > 0 ? arg.slice(0, eq) : arg;
    let spec = byFlag.get(flag);
    if (!spec && flag.startsWith('--no-') && eq < 0) {
      const positive = byFlag.get('--' + flag.slice(5));
      if (positive?.boolean) {
        flags[positive.flag] = 'false';
        continue;
      }
    }
    if (!spec) throw new ConfigError(`unknown option "${flag}" (see urbis --help)`);
    flag = spec.flag;
    if (spec.boolean && eq < 0) {
      flags[flag] = 'true';
      continue;
    }
    const value: string | undefined = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
    flags[flag] = value;
  }
  return { flags, positional };
}
