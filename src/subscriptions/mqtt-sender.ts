/**
 * Sends notifications to mqtt(s)://[user:password@]host[:port]/topic endpoints (ETSI GS CIM 009
 * clause 7): the message is `{"metadata": {...headers}, "body": <Notification>}` published on the
 * topic of the URI with QoS 0 or 1 (notifierInfo MQTT-QoS) over MQTT 3.1.1 or 5.0
 * (MQTT-Version). One client connection per broker, user and protocol version, reused; with QoS 1
 * a publication counts as delivered when the broker acknowledged it (PUBACK).
 */
import { connect, type MqttClient } from 'mqtt';
import type { KeyValuePair } from './model.js';
import type { NotificationMessage } from './notification.js';

export class MqttSender {
  private readonly clients = new Map<string, MqttClient>();

  /** Publishes; the caller bounds the wait (a broker that is down makes this wait for its return). */
  async publish(uri: string, notifierInfo: KeyValuePair[] | undefined, msg: NotificationMessage): Promise<void> {
    const url = new URL(uri);
    const info = new Map((notifierInfo ?? []).map((kv) => [kv.key, kv.value]));
    const qos = info.get('MQTT-QoS') === '1' ? 1 : 0;
    const version = info.get('MQTT-Version') === 'mqtt5.0' ? 5 : 4;
    const topic = decodeURIComponent(url.pathname.slice(1));
    const client = this.client(url, version);
    await connected(client);
    const payload = JSON.stringify({ metadata: msg.headers, body: msg.body });
    await client.publishAsync(topic, payload, { qos });
  }

  private client(url: URL, version: 4 | 5): MqttClient {
    const key = `${url.protocol}//${url.username}@${url.host}#${version}`;
    let client = this.clients.get(key);
    if (!client) {
      client = connect(`${url.protocol}//${url.host}`, {
        protocolVersion: version,
        username: url.username ? decodeURIComponent(url.username) : undefined,
        password: url.password ? decodeURIComponent(url.password) : undefined,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        // Nothing is queued while disconnected: a publication either reaches the broker or fails.
        queueQoSZero: false,
      });
      // Errors surface as failed publications (retried); waits for 'connect' may pile up while the broker is down.
      client.on('error', () => undefined);
      client.setMaxListeners(0);
      this.clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(true)));
    this.clients.clear();
  }
}

function connected(client: MqttClient): Promise<void> {
  if (client.connected) return Promise.resolve();
  return new Promise((resolve) => client.once('connect', () => resolve()));
}
