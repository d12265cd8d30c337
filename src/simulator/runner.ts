/**
 * The demo city's clock and devices: builds the city and its ~2,000 devices from the seed, gives
 * the provisioning bodies for the gateway (IoT Agent shape), and runs the devices. `step(ms)`
 * advances the simulated clock and sends every reading that falls due, in time order, through the
 * transport it was given (MQTT, HTTP or the gateway's ingest function); `start(rate)` steps in
 * real time, `rate` simulated seconds per real second.
 */
import { generateCity, type City } from './geography.js';
import { IncidentSchedule } from './incidents.js';
import { hashNoise } from './random.js';
import { SCENARIOS, sdmContext, type Measures, type Scenario, type SimContext, type SimDevice } from './scenarios.js';

/** One reading ready to send: `payload` in the scenario's format (UltraLight or JSON). */
export interface Reading {
  apikey: string;
  deviceId: string;
  format: 'ul' | 'json';
  payload: string;
  at: number;
}

export type Send = (r: Reading) => Promise<unknown>;

interface Scheduled {
  scenario: Scenario;
  device: SimDevice;
  next: number;
}

export class CitySimulator {
  readonly city: City;
  readonly ctx: SimContext;
  private readonly scheduled: Scheduled[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  /** Simulated time (epoch ms). */
  now: number;
  sent = 0;

  constructor(
    readonly seed: number,
    startMs: number,
    private readonly send: Send,
  ) {
    this.city = generateCity(seed);
    this.ctx = { seed, city: this.city, incidents: new IncidentSchedule(seed) };
    this.now = startMs;
    for (const scenario of SCENARIOS) {
      for (const device of scenario.devices(this.ctx)) {
        // Readings fall on a fixed grid per device (phase from the seed): resumable at any time.
        const phase = Math.floor(hashNoise(seed, 'phase', device.deviceId) * device.periodMs);
        const next = Math.ceil((startMs - phase) / device.periodMs) * device.periodMs + phase;
        this.scheduled.push({ scenario, device, next });
      }
    }
  }

  get deviceCount(): number {
    return this.scheduled.length;
  }

  /** POST /iot/services body: one service group per scenario. */
  serviceGroups(): { services: Array<Record<string, unknown>> } {
    return {
      services: SCENARIOS.map((s) => ({
        apikey: s.apikey,
        entity_type: s.entityType,
        resource: s.format === 'ul' ? '/iot/ul' : '/iot/json',
        attributes: s.attributes,
        ...(s.domain ? { jsonLdContext: sdmContext(s.domain) } : {}),
        ...(s.observedAtAttribute ? { observedAtAttribute: s.observedAtAttribute } : {}),
      })),
    };
  }

  /** POST /iot/devices body: every device of the city. */
  devices(): { devices: Array<Record<string, unknown>> } {
    return {
      devices: this.scheduled.map(({ scenario, device }) => ({
        device_id: device.deviceId,
        apikey: device.apikey,
        entity_name: device.entityId,
        entity_type: scenario.entityType,
        protocol: scenario.format === 'ul' ? 'PDI-IoTA-UltraLight' : 'IoTA-JSON',
        transport: 'MQTT',
        static_attributes: device.static_attributes,
      })),
    };
  }

  /** The reading of a device at time t (deterministic). */
  reading(scenario: Scenario, device: SimDevice, t: number): Reading {
    const measures = scenario.measure(device, t, this.ctx);
    const at = new Date(t).toISOString();
    return { apikey: device.apikey, deviceId: device.deviceId, format: scenario.format, payload: encode(scenario.format, at, measures), at: t };
  }

  /** Advances the clock by `ms` and sends every reading due, in time order; resolves when all are sent. */
  async step(ms: number): Promise<number> {
    const until = this.now + ms;
    const due: Reading[] = [];
    for (const s of this.scheduled) {
      while (s.next <= until) {
        due.push(this.reading(s.scenario, s.device, s.next));
        s.next += s.device.periodMs;
      }
    }
    due.sort((a, b) => a.at - b.at);
    this.now = until;
    await Promise.all(due.map((r) => this.send(r).catch(() => undefined)));
    this.sent += due.length;
    return due.length;
  }

  /** Runs in real time: every second, `rate` simulated seconds. */
  start(rate: number): void {
    this.stop();
    let last = Date.now();
    this.timer = setInterval(() => {
      if (this.running) return;
      const now = Date.now();
      const elapsed = (now - last) * rate;
      last = now;
      this.running = this.step(elapsed).finally(() => (this.running = undefined));
    }, 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/** UltraLight `timestamp|k|v|...` or JSON `{"TimeInstant": ..., k: v}`. */
export function encode(format: 'ul' | 'json', at: string, measures: Measures): string {
  if (format === 'json') return JSON.stringify({ TimeInstant: at, ...measures });
  return [at, ...Object.entries(measures).flatMap(([k, v]) => [k, String(v)])].join('|');
}
