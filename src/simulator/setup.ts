/**
 * Wires the demo city into the server: GET /city/geography (always: the map works offline), and,
 * when config.demo is on, provisions the city's devices through the gateway (skipped when the
 * database already holds them: the city resumes) and runs them in real time at config.demoRate,
 * publishing over MQTT like real devices (or through the gateway's ingest function when MQTT is off).
 * The bus network (GtfsAgency, GtfsStop, GtfsRoute) is written once, in one batch; entities that
 * already exist are left as they are.
 */
import type { FastifyInstance } from 'fastify';
import mqtt from 'mqtt';
import type { Config } from '../config.js';
import { ERROR_TYPE_BASE } from '../errors.js';
import { EntityService } from '../broker/entity-service.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import { withWriteOrigin } from '../broker/origin.js';
import type { BrokerStore } from '../broker/store.js';
import type { IngestSetup } from '../ingest/setup.js';
import { cityGeoJson } from './geography.js';
import { CitySimulator, type Send } from './runner.js';
import { TRANSIT_CONTEXT, transitEntities } from './transit.js';

const DEMO_CITY = { actor: 'demo-city', client: 'demo city' };

export interface CitySetup {
  simulator?: CitySimulator;
  close(): Promise<void>;
}

export interface CityBroker {
  store: BrokerStore;
  resolver: ContextResolver;
}

export async function setupCity(app: FastifyInstance, config: Config, ingest: IngestSetup, broker: CityBroker): Promise<CitySetup> {
  const log = app.log.child({ component: 'demo-city' });
  let send: Send = (r) => ingest.gateway.ingest({ transport: 'internal', ...r });
  let client: mqtt.MqttClient | undefined;
  if (config.demo && ingest.mqttUrl) {
    const c = await mqtt.connectAsync(ingest.mqttUrl, { clientId: `urbis-demo-city-${process.pid}-${Date.now()}`, reconnectPeriod: 1000 });
    client = c;
    send = (r) => c.publishAsync(r.format === 'json' ? `/json/${r.apikey}/${r.deviceId}/attrs` : `/${r.apikey}/${r.deviceId}/attrs`, r.payload, { qos: 0 });
  }
  const simulator = new CitySimulator(config.demoSeed, Date.now(), send);
  const geography = cityGeoJson(simulator.city);
  app.get('/city/geography', async (_req, reply) => reply.type('application/geo+json').send(geography));
  if (!config.demo) return { async close() {} };

  const groups = simulator.serviceGroups();
  const known = groups.services.filter((g) => ingest.gateway.listServices('', undefined).some((s) => s.apikey === g.apikey));
  if (known.length === groups.services.length) {
    log.info({ devices: simulator.deviceCount }, 'demo city found in the database: resuming');
  } else {
    const started = Date.now();
    const missing = { services: groups.services.filter((g) => !known.includes(g)) };
    await ingest.gateway.createServices('', '/', missing);
    const provisioned = new Set(ingest.gateway.listDevices('', undefined).map((d) => d.device_id));
    const devices = { devices: simulator.devices().devices.filter((d) => !provisioned.has(d.device_id as string)) };
    if (devices.devices.length > 0) await ingest.gateway.createDevices('', '/', devices);
    log.info({ devices: simulator.deviceCount, ms: Date.now() - started }, 'demo city provisioned');
  }
  await provisionTransit(simulator, broker, log);
  simulator.start(config.demoRate);
  log.info({ seed: config.demoSeed, rate: config.demoRate, transport: client ? 'mqtt' : 'internal' }, 'demo city running');
  return {
    simulator,
    async close() {
      await simulator.stop();
      await client?.endAsync();
    },
  };
}

/** Creates the bus network's entities that do not exist yet (one batch, one transaction). */
async function provisionTransit(simulator: CitySimulator, broker: CityBroker, log: FastifyInstance['log']): Promise<void> {
  const ctx = await broker.resolver.compile(TRANSIT_CONTEXT, '');
  const entries = transitEntities(simulator.city).map((body) => ({ body, ctx }));
  const result = await withWriteOrigin(DEMO_CITY, () => new EntityService(broker.store).batchCreate('', entries));
  const failed = result.errors.filter((e) => e.error.type !== `${ERROR_TYPE_BASE}AlreadyExists`);
  if (failed.length > 0) log.warn({ errors: failed.slice(0, 5) }, 'demo city: some bus network entities were not created');
  log.info({ created: result.success.length, existing: result.errors.length - failed.length }, 'demo city bus network (GtfsStop, GtfsRoute)');
}
