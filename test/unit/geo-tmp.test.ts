import { it } from 'vitest';
import { within, overlaps } from '../../src/broker/geo/predicates.js';
it('perf', () => {
  const big = (n: number, cx: number) => ({ type: 'Polygon' as const, coordinates: [Array.from({length: n+1}, (_, k) => [cx + Math.cos(2*Math.PI*(k%n)/n), Math.sin(2*Math.PI*(k%n)/n)] as [number, number])] });
  const p1 = big(2000, 0), p2 = big(2000, 0.5);
  let t = performance.now(); console.log(overlaps(p1, p2), within(p1, p2), performance.now() - t);
  const p3 = big(2000, 0.1);
  t = performance.now(); console.log(overlaps(p1, p3), performance.now() - t);
});
