/**
 * Starts Urbis from a configuration and stops it cleanly on SIGINT/SIGTERM: stop accepting,
 * finish the requests in flight, close the database.
 */
import type { Config } from '../config.js';
import { buildUrbis } from './app.js';

export async function startServer(config: Config): Promise<void> {
  const urbis = await buildUrbis(config);
  const log = urbis.app.log;
  await urbis.app.listen({ host: config.host, port: config.port });
  log.info({ store: urbis.stores.location, api: `http://${config.host}:${config.port}/ngsi-ld/v1` }, 'Urbis is serving the NGSI-LD API');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing requests in flight');
    urbis.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
