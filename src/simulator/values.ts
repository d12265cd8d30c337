/**
 * Value models of the demo city: daily and weekly cycles (traffic peaks, daylight, household
 * water use), smooth noise, and the effect of the incident schedule. Pure functions of the device,
 * the time and the seed.
 */
import { HOUR, type IncidentSchedule } from './incidents.js';
import { hashNoise, smoothNoise } from './random.js';

export const hourOf = (t: number) => (((t / HOUR) % 24) + 24) % 24;
export const isWeekend = (t: number) => [0, 6].includes(new Date(t).getUTCDay());
const bell = (h: number, at: number, width: number) => Math.exp(-(((h - at) / width) ** 2));
export const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
export const r1 = (v: number) => Math.round(v * 10) / 10;
export const r2 = (v: number) => Math.round(v * 100) / 100;

/** Road traffic relative to the daily maximum (0..1): morning and evening peaks, calmer weekends. */
export function trafficLevel(t: number): number {
  const h = hourOf(t);
  if (isWeekend(t)) return 0.1 + 0.55 * bell(h, 13, 4);
  return 0.08 + 0.92 * Math.max(bell(h, 8, 1.4), bell(h, 17.5, 1.8), 0.55 * bell(h, 13, 3));
}

/** People in the streets relative to the maximum (0..1). */
export function footfall(t: number): number {
  const h = hourOf(t);
  return 0.03 + 0.97 * (isWeekend(t) ? bell(h, 14, 3.5) : Math.max(0.8 * bell(h, 8.5, 1.2), bell(h, 13, 2.5), 0.8 * bell(h, 18, 1.5)));
}

/** Darkness: street lights are on from 18:30 to 06:30 (city time, UTC). */
export const isDark = (t: number) => hourOf(t) >= 18.5 || hourOf(t) < 6.5;

/** Household water use relative to the maximum (0..1). */
export function waterUse(t: number): number {
  const h = hourOf(t);
  return 0.04 + 0.96 * Math.max(bell(h, 7.2, 1.1), 0.7 * bell(h, 20, 1.8), 0.3 * bell(h, 13, 2));
}

export interface Weather {
  temperature: number;
  humidity: number;
  pressure: number;
  windSpeed: number;
  windDirection: number;
  rain: number;
}

/** City-wide weather with a little local variation per station. */
export function weatherAt(seed: number, incidents: IncidentSchedule, t: number, station: number): Weather {
  const h = hourOf(t);
  const rain = incidents.rain(t);
  const local = smoothNoise(t, 2 * HOUR, seed, 'wx', station);
  const temperature = 13 + 6 * Math.cos(((h - 15) / 24) * 2 * Math.PI) + 2.5 * smoothNoise(t, 24 * HOUR, seed, 'temp') - Math.min(3, rain * 0.6) + 0.5 * local;
  const humidity = clamp(62 - 18 * Math.cos(((h - 15) / 24) * 2 * Math.PI) + rain * 6 + 5 * local, 15, 100);
  return {
    temperature: r1(temperature),
    humidity: Math.round(humidity),
    pressure: r1(1013 + 8 * smoothNoise(t, 36 * HOUR, seed, 'press') - rain * 0.8),
    windSpeed: r1(clamp(3 + 2.5 * smoothNoise(t, 3 * HOUR, seed, 'wind') + rain * 0.4 + 0.5 * local, 0, 30)),
    windDirection: Math.round((((220 + 90 * smoothNoise(t, 12 * HOUR, seed, 'wdir')) % 360) + 360) % 360),
    rain: r1(Math.max(0, rain * (0.85 + 0.3 * hashNoise(seed, 'rain', station, Math.floor(t / 600_000))))),
  };
}

/** Jitter in [-1, 1] for one device at one reading. */
export const jitter = (seed: number, device: string, t: number, what = '') => hashNoise(seed, device, what, Math.floor(t / 1000)) * 2 - 1;
