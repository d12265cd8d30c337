/**
 * Wires the demo city into the server: GET /city/geography (always: the map works offline), and,
 * when config.demo is on, provisions the city's devices through the gateway (skipped when the
 * database already holds them: the city resumes) and runs them in real time at config.demoRate,
 * publishing over MQTT like real devices (or through the gateway's ingest function when MQTT is off).
 */
import type { FastifyInstance } from 'fastify';
import mqtt from 'mqtt';
import type { Config } from '../config.js';
import type { IngestSetup } from '../ingest/setup.js';
import { cityGeoJson } from './geography.js';
import { CitySimulator, type Send } from './runner.js';

export interface CitySetup {
  simulator?: CitySimulator;
  close(): Promise<void>;
}

export async function setupCity(app: FastifyInstance, config: Config, ingest: IngestSetup): Promise<CitySetup> {
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
