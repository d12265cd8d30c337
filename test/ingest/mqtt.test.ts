/**
 * Measures over MQTT, UltraLight and JSON, against the in-process Aedes broker and against a real
 * Mosquitto: topics /<apikey>/<deviceId>/attrs, /json/<apikey>/<deviceId>/attrs and
 * /<apikey>/<deviceId>/attrs/<name>; a bad message is counted and the gateway keeps going.
 */
import { afterAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { freePort, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startServer, type TestServer } from '../helpers/server.js';

const until = async <T>(f: () => Promise<T | undefined>, what: string): Promise<T> => {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

async function provision(s: TestServer): Promise<void> {
  expect((await s.request('POST', '/iot/services', { body: { services: [{ apikey: 'mk', entity_type: 'Sensor', attributes: [{ object_id: 't', name: 'temperature', type: 'Number', unitCode: 'CEL' }, { object_id: 's', name: 'state', type: 'Text' }] }] } })).status).toBe(201);
  expect((await s.request('POST', '/iot/devices', { body: { devices: [{ device_id: 'd1', apikey: 'mk' }] } })).status).toBe(201);
}

async function exercise(s: TestServer, url: string): Promise<void> {
  const client = await mqtt.connectAsync(url);
  try {
    const value = (name: string, expected: unknown) =>
      until(async () => {
        const e = (await s.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:d1')).json;
        return e?.[name]?.value === expected ? e : undefined;
      }, `${name} = ${expected}`);
    await client.publishAsync('/mk/d1/attrs', '2026-05-01T00:00:00Z|t|11.5|s|ok', { qos: 1 });
    const e = await value('temperature', 11.5);
    expect(e.temperature).toMatchObject({ unitCode: 'CEL', observedAt: '2026-05-01T00:00:00.000Z' });
    expect(e.state.value).toBe('ok');
    await client.publishAsync('/mk/d1/attrs', 't|12#t|13', { qos: 1 });
    await value('temperature', 13);
    await client.publishAsync('/json/mk/d1/attrs', '{"t": 14, "s": "warm"}', { qos: 1 });
    await value('state', 'warm');
    await client.publishAsync('/mk/d1/attrs/t', '15', { qos: 1 });
    await value('temperature', 15);
    const before = (await s.request('GET', '/iot/stats')).json;
    await client.publishAsync('/mk/d1/attrs', 't|1|x', { qos: 1 });
    await client.publishAsync('/unknown/d1/attrs', 't|1', { qos: 1 });
    await client.publishAsync('/mk/nobody/attrs', 't|1', { qos: 1 });
    await client.publishAsync('/mk/d1/attrs', 't|16', { qos: 1 });
    await value('temperature', 16);
    const after = (await s.request('GET', '/iot/stats')).json;
    expect(after.rejected.malformedPayload - before.rejected.malformedPayload).toBe(1);
    expect(after.rejected.unknownApiKey - before.rejected.unknownApiKey).toBe(1);
    expect(after.rejected.unknownDevice - before.rejected.unknownDevice).toBe(1);
    expect(after.messages.byTransport.mqtt).toBeGreaterThanOrEqual(8);
  } finally {
    await client.endAsync();
  }
}

describe('MQTT', () => {
  let mosquitto: Mosquitto | undefined;
  afterAll(async () => mosquitto?.stop());

  it('takes measures through the in-process Aedes broker', async () => {
    const port = await freePort();
    const s = await startServer({ mqtt: '', mqttPort: port });
    try {
      await provision(s);
      await exercise(s, `mqtt://127.0.0.1:${port}`);
    } finally {
      await s.close();
    }
  });

  it('acknowledges a QoS 1 measure on the in-process broker only once it is written', async () => {
    const port = await freePort();
    const s = await startServer({ mqtt: '', mqttPort: port });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
    try {
      await provision(s);
      for (let i = 1; i <= 20; i++) {
        // PUBACK has arrived when publishAsync resolves: the entity must already have the value.
        await client.publishAsync('/mk/d1/attrs', `t|${i}`, { qos: 1 });
        const e = (await s.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:d1')).json;
        expect(e.temperature.value).toBe(i);
      }
    } finally {
      await client.endAsync();
      await s.close();
    }
  });

  it('takes measures through an external Mosquitto broker', async () => {
    mosquitto = await startMosquitto();
    const s = await startServer({ mqtt: mosquitto.url });
    try {
      await provision(s);
      await exercise(s, mosquitto.url);
    } finally {
      await s.close();
    }
  });
});
