import { ConfigError, SETTINGS, resolveConfig } from '../../config.js';
import { startServer } from '../../server/start.js';
import { parseFlags } from '../flags.js';
import type { Command } from '../command.js';

export const startCommand: Command = {
  name: 'start',
  usage: 'urbis start [options]',
  summary: 'serve the platform at http://<host>:<port> (NGSI-LD API under /ngsi-ld/v1)',
  async run(args) {
    const { flags, positional } = parseFlags(args, SETTINGS);
    if (positional.length > 0) throw new ConfigError(`urbis start takes no arguments (got "${positional[0]}")`);
    await startServer(resolveConfig(flags));
    return undefined;
  },
};
