/**
 * The MQTT side of the device gateway. With config.mqtt '' an in-process Aedes broker listens on
 * config.mqttPort; with an mqtt:// URL the gateway connects to that broker; with 'off' there is no
 * MQTT. The gateway takes measures on the IoT Agent topics:
 *   /<apikey>/<deviceId>/attrs            UltraLight 2.0
 *   /ul/<apikey>/<deviceId>/attrs         UltraLight 2.0
 *   /json/<apikey>/<deviceId>/attrs       JSON
 *   ...and the same with /attrs/<name>    the raw value of one measure
 */
import { createServer } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Gateway, IngestMessage } from './gateway.js';
import type { PayloadFormat } from './model.js';

export interface MqttSide {
  /** mqtt://host:port of the broker the gateway listens on (for the simulator's clients). */
  url: string;
  close(): Promise<void>;
}

const SUBSCRIPTIONS = ['/+/+/attrs', '/+/+/attrs/+', '/ul/+/+/attrs', '/ul/+/+/attrs/+', '/json/+/+/attrs', '/json/+/+/attrs/+'];

/** The message a topic carries, or undefined when the topic is not a measure topic. */
export function messageOfTopic(topic: string, payload: string): IngestMessage | undefined {
  const parts = topic.split('/');
  if (parts[0] !== '') return undefined;
  let format: PayloadFormat = 'ul';
  let rest = parts.slice(1);
  if (rest[0] === 'json' || rest[0] === 'ul') {
    format = rest[0] as PayloadFormat;
    rest = rest.slice(1);
  }
  if (rest.length < 3 || rest.length > 4 || rest[2] !== 'attrs' || rest[0] === '' || rest[1] === '') return undefined;
  const msg: IngestMessage = { transport: 'mqtt', format, apikey: rest[0], deviceId: rest[1], payload };
  if (rest.length === 4) msg.attribute = rest[3];
  return msg;
}

/** Starts the configured MQTT side (undefined when mqtt is 'off'). */
export async function startMqtt(setting: string, port: number, gateway: Gateway, log: FastifyBaseLogger): Promise<MqttSide | undefined> {
  if (setting === 'off') return undefined;
  if (setting === '') return startInProcess(port, gateway, log);
  return subscribeExternal(setting, gateway, log);
}

/**
 * The in-process broker hands each measure to the gateway before it routes the message on. A QoS 1
 * message is acknowledged (PUBACK) only once its write has committed, so an acknowledged measure is
 * never lost; QoS 0 promises nothing and is not waited for.
 */
async function startInProcess(port: number, gateway: Gateway, log: FastifyBaseLogger): Promise<MqttSide> {
  const aedes = await Aedes.createBroker();
  aedes.authorizePublish = (client, packet, callback) => {
    const msg = client ? messageOfTopic(packet.topic, packet.payload.toString()) : undefined;
    if (!msg) return callback(null);
    // Rejections are counted and logged by the gateway; the message still goes to other subscribers.
    const written = gateway.ingest(msg).then(
      () => undefined,
      () => undefined,
    );
    if (packet.qos === 0) return callback(null);
    void written.then(() => callback(null));
  };
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  const url = `mqtt://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  log.info({ port }, 'in-process MQTT broker listening; the device gateway takes measures from it');
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * With an external broker the gateway is a subscriber. The external broker acknowledges the
 * device's message, so a measure in flight when Urbis crashes is lost unless the broker redelivers
 * it (docs/ingest.md).
 */
async function subscribeExternal(url: string, gateway: Gateway, log: FastifyBaseLogger): Promise<MqttSide> {
  const client = mqtt.connect(url, { clientId: `urbis-gateway-${process.pid}-${Date.now()}`, reconnectPeriod: 1000, clean: true });
  client.on('message', (topic, payload) => {
    const msg = messageOfTopic(topic, payload.toString('utf8'));
    if (!msg) return;
    // Rejections are counted and logged by the gateway; nothing else to do here.
    gateway.ingest(msg).catch(() => undefined);
  });
  client.on('error', (err) => log.warn({ err: err.message, url }, 'MQTT client error'));
  await subscribed(client);
  log.info({ url }, 'device gateway subscribed to MQTT measure topics');
  return {
    url,
    async close() {
      await client.endAsync();
    },
  };
}

function subscribed(client: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('could not connect to the MQTT broker within 15 s')), 15_000);
    client.once('connect', () => {
      client.subscribe(SUBSCRIPTIONS, { qos: 1 }, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  });
}
