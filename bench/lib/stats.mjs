/**
 * Small statistics for the benchmark: nearest-rank percentiles, the median, and rounding for the
 * report.
 */

/** Nearest-rank percentile p (0..100) of the numbers in xs (sorted on a copy); NaN when empty. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50, p95, p99 and max of latencies in ms, rounded to 0.01 ms. */
export function latencySummary(xs) {
  return {
    p50: round(percentile(xs, 50), 2),
    p95: round(percentile(xs, 95), 2),
    p99: round(percentile(xs, 99), 2),
    max: round(percentile(xs, 100), 2),
  };
}

export const median = (xs) => percentile(xs, 50);

/** x rounded to `digits` decimals. */
export function round(x, digits = 0) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
