/**
 * The seeded incident schedule of the demo city, a pure function of the seed and the time (so a
 * resumed city sees the same past and future): rain that makes the river rise towards flood
 * level, a pollution episode in a district, a smoke alarm, lamp failures and a traffic jam. Each
 * six-hour window of the simulated clock draws its own incidents from the seed.
 */
import { hashNoise } from './random.js';

export const HOUR = 3_600_000;
const WINDOW = 6 * HOUR;

export interface Episode {
  start: number;
  end: number;
  /** 0..1 strength. */
  strength: number;
  /** The district (1..9), road segment index, detector index... the episode affects. */
  target: number;
}

export type IncidentKind = 'rain' | 'pollution' | 'smoke' | 'jam';

/** How often (per six-hour window) each kind happens, and how long it lasts. */
const KINDS: Record<IncidentKind, { chance: number; minMs: number; maxMs: number; targets: number }> = {
  rain: { chance: 0.45, minMs: 1 * HOUR, maxMs: 4 * HOUR, targets: 1 },
  pollution: { chance: 0.4, minMs: 2 * HOUR, maxMs: 5 * HOUR, targets: 9 },
  smoke: { chance: 0.6, minMs: 0.25 * HOUR, maxMs: 1 * HOUR, targets: 300 },
  jam: { chance: 0.7, minMs: 0.5 * HOUR, maxMs: 2 * HOUR, targets: 112 },
};

export class IncidentSchedule {
  private readonly cache = new Map<string, Episode | null>();

  constructor(private readonly seed: number) {}

  /** The episode of `kind` drawn for window `w` (null when none). */
  private episode(kind: IncidentKind, w: number): Episode | null {
    const key = `${kind}/${w}`;
    let e = this.cache.get(key);
    if (e === undefined) {
      const k = KINDS[kind];
      const h = (n: number) => hashNoise(this.seed, 'incident', kind, w, n);
      if (h(0) >= k.chance) e = null;
      else {
        const start = w * WINDOW + h(1) * (WINDOW - k.minMs);
        e = { start, end: start + k.minMs + h(2) * (k.maxMs - k.minMs), strength: 0.5 + h(3) / 2, target: Math.floor(h(4) * k.targets) };
      }
      this.cache.set(key, e);
      if (this.cache.size > 10_000) this.cache.clear();
    }
    return e;
  }

  /** Episodes of `kind` active at time t (the current and previous windows may overlap t). */
  active(kind: IncidentKind, t: number): Episode[] {
    const w = Math.floor(t / WINDOW);
    return [this.episode(kind, w - 1), this.episode(kind, w)].filter((e): e is Episode => e !== null && e.start <= t && t < e.end);
  }

  /** Rain intensity in mm/h at time t. */
  rain(t: number): number {
    return this.active('rain', t).reduce((s, e) => s + e.strength * 8 * Math.sin((Math.PI * (t - e.start)) / (e.end - e.start)), 0);
  }

  /**
   * River level above normal (m): the rain of the last 12 hours, reaching the river with a delay
   * and draining slowly, so a long shower brings the gauges past the alert level.
   */
  riverRise(t: number): number {
    let rise = 0;
    const w = Math.floor(t / WINDOW);
    for (let k = w - 3; k <= w; k++) {
      const e = this.episode('rain', k);
      if (!e || e.start > t) continue;
      const volume = e.strength * ((e.end - e.start) / HOUR);
      const since = (t - e.start) / HOUR;
      // rises over ~3 h after the rain starts, then drains over ~9 h
      const shape = since < 3 ? since / 3 : Math.max(0, 1 - (since - 3) / 9);
      rise += volume * 0.75 * shape;
    }
    return rise;
  }

  /** Whether streetlight `n` has a failed lamp at t: each lamp fails about once a month, for up to a day. */
  lampFailed(n: number, t: number): boolean {
    const day = Math.floor(t / (24 * HOUR));
    for (const d of [day - 1, day]) {
      const h = hashNoise(this.seed, 'lamp', n, d);
      if (h < 1 / 30) {
        const start = d * 24 * HOUR + hashNoise(this.seed, 'lamp-at', n, d) * 24 * HOUR;
        if (t >= start && t < start + 24 * HOUR * (0.3 + h * 20)) return true;
      }
    }
    return false;
  }
}
