/**
 * Wires the device gateway into the server: its store, the gateway (following the provisioning
 * done on other nodes), its HTTP routes and the MQTT side. Returns the gateway (the simulator
 * feeds it) and a closer.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import type { BrokerStore } from '../broker/store.js';
import type { IngestStore } from './store.js';
import type { ClusterBus } from '../cluster/bus.js';
import { Gateway } from './gateway.js';
import { startMqtt } from './mqtt.js';
import { ingestRoutes, provisioningRoutes } from './routes.js';

export interface IngestSetup {
  gateway: Gateway;
  /** URL of the MQTT broker the gateway listens on; undefined when MQTT is off. */
  mqttUrl?: string;
  close(): Promise<void>;
}

export async function setupIngest(app: FastifyInstance, config: Config, store: BrokerStore, ingestStore: IngestStore, resolver: ContextResolver, bus: ClusterBus): Promise<IngestSetup> {
  const log = app.log.child({ component: 'ingest' });
  const gateway = new Gateway({ store: ingestStore, broker: store, resolver, log });
  await gateway.load();
  // Groups and devices provisioned on another node sharing the database.
  const following = gateway.follow(bus, (err) => log.error({ err }, 'the service groups and devices could not be reloaded'));
  await app.register(async (scope) => provisioningRoutes(scope, gateway));
  await app.register(async (scope) => ingestRoutes(scope, gateway));
  const mqtt = await startMqtt(config.mqtt, config.mqttPort, gateway, log);
  return {
    gateway,
    mqttUrl: mqtt?.url,
    async close() {
      following.stop();
      await mqtt?.close();
      await following.idle();
      await gateway.close();
    },
  };
}
