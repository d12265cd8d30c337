/**
 * Deterministic randomness for the demo city: a seeded generator for building the city, and a
 * stateless hash noise (same seed and keys, same number) for values and incidents, so the city
 * can resume at any time without keeping state.
 */

/** mulberry32: a small, fast 32-bit generator; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number in [0, 1) determined by the keys (FNV-1a over their text, then mixed). */
export function hashNoise(...keys: Array<string | number>): number {
  let h = 0x811c9dc5;
  const text = keys.join('\u0001');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Smooth noise in [-1, 1] over time: values at knots every `periodMs`, blended with a cosine. */
export function smoothNoise(timeMs: number, periodMs: number, ...keys: Array<string | number>): number {
  const x = timeMs / periodMs;
  const i = Math.floor(x);
  const f = (1 - Math.cos((x - i) * Math.PI)) / 2;
  const a = hashNoise(...keys, i) * 2 - 1;
  const b = hashNoise(...keys, i + 1) * 2 - 1;
  return a * (1 - f) + b * f;
}
