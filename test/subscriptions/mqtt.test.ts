/**
 * MQTT notification endpoints against real brokers: an in-process Aedes and Debian's Mosquitto.
 * A real MQTT client subscribes to the topic; Urbis publishes {"metadata", "body"} messages with
 * QoS 0 and 1, over MQTT 3.1.1 and 5.0.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, freePort, type Mosquitto } from '../helpers/mosquitto.js';
import { API, startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let aedes: Aedes;
let aedesServer: Server;
let aedesUrl: string;
let mosquitto: Mosquitto;

beforeAll(async () => {
  server = await startServer();
  aedes = await Aedes.createBroker();
  aedesServer = createServer(aedes.handle);
  const port = await freePort();
  await new Promise<void>((r) => aedesServer.listen(port, '127.0.0.1', () => r()));
  aedesUrl = `mqtt://127.0.0.1:${port}`;
  mosquitto = await startMosquitto();
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((r) => (aedes ? aedes.close(() => r()) : r()));
  await new Promise<void>((r) => (aedesServer ? aedesServer.close(() => r()) : r()));
  await mosquitto?.stop();
});

interface Message {
  topic: string;
  qos: number;
  payload: any;
}

async function listen(brokerUrl: string, topic: string): Promise<{ client: MqttClient; messages: Message[] }> {
  const client = await connectAsync(brokerUrl);
  const messages: Message[] = [];
  client.on('message', (t, payload, packet) => messages.push({ topic: t, qos: packet.qos, payload: JSON.parse(payload.toString()) }));
  await client.subscribeAsync(topic, { qos: 1 });
  return { client, messages };
}

async function waitFor(messages: Message[], n: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (messages.length < n) {
    if (Date.now() > deadline) throw new Error(`timed out: ${messages.length} of ${n} MQTT messages`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Aedes 1 speaks MQTT 3.1.1 only; Mosquitto also 5.0.
describe.each([
  ['Aedes (in-process)', () => aedesUrl, ['mqtt3.1.1', 'mqtt3.1.1']],
  ['Mosquitto', () => mosquitto.url, ['mqtt3.1.1', 'mqtt5.0']],
])('MQTT notifications through %s', (name, brokerUrl, versions) => {
  it.each([
    ['0', 0],
    ['1', 1],
  ])('publishes to the topic of the URI with QoS %s', async (qos, i) => {
    const version = versions[i];
    const tag = `${name.split(' ')[0]}${qos}`;
    const topic = `city/${tag}/notifications`;
    const { client, messages } = await listen(brokerUrl(), topic);
    try {
      const res = await server.request('POST', `${API}/subscriptions`, {
        body: {
          type: 'Subscription',
          entities: [{ type: `Mq${tag}` }],
          notification: {
            format: 'keyValues',
            endpoint: {
              uri: `${brokerUrl()}/${topic}`,
              receiverInfo: [{ key: 'X-Origin', value: 'urbis' }],
              notifierInfo: [
                { key: 'MQTT-QoS', value: qos },
                { key: 'MQTT-Version', value: version },
              ],
            },
          },
        },
      });
      expect(res.status, res.text).toBe(201);
      for (let i = 1; i <= 3; i++) {
        const r = await server.request('POST', `${API}/entities`, { body: { id: `urn:ngsi-ld:Mq${tag}:${i}`, type: `Mq${tag}`, n: { type: 'Property', value: i } } });
        expect(r.status).toBe(201);
      }
      await waitFor(messages, 1);
      while (messages.flatMap((m) => m.payload.body.data).length < 3) await waitFor(messages, messages.length + 1);
      const [first] = messages;
      expect(first.topic).toBe(topic);
      expect(first.qos).toBe(Number(qos));
      expect(first.payload.metadata).toMatchObject({ 'Content-Type': 'application/json', 'X-Origin': 'urbis', Link: expect.stringContaining('ngsi-ld-core-context') });
      expect(first.payload.body).toMatchObject({ type: 'Notification', subscriptionId: expect.any(String), notifiedAt: expect.any(String) });
      expect(messages.flatMap((m) => m.payload.body.data).map((d) => d.n)).toEqual([1, 2, 3]);
      const sub = (await server.request('GET', res.headers.get('location')!)).json;
      expect(sub.notification).toMatchObject({ status: 'ok', timesFailed: 0 });
    } finally {
      await client.endAsync();
    }
  });
});
