/** A line chart of one attribute's history as inline SVG, with a text summary for screen readers. */
import type { Series } from './api';
import { useI18n } from './i18n';

const W = 320;
const H = 120;
const PAD = 28;

export function Chart({ attr, points }: { attr: string; points: Series }) {
  const { t, num, date } = useI18n();
  if (points.length === 0) return <p>{t('panel.noHistory')}</p>;
  const vs = points.map((p) => p[0]);
  const ts = points.map((p) => Date.parse(p[1]));
  const [lo, hi] = [Math.min(...vs), Math.max(...vs)];
  const [t0, t1] = [Math.min(...ts), Math.max(...ts)];
  const x = (v: number) => PAD + ((v - t0) / (t1 - t0 || 1)) * (W - PAD - 4);
  const y = (v: number) => H - 16 - ((v - lo) / (hi - lo || 1)) * (H - 28);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(ts[i]).toFixed(1)},${y(p[0]).toFixed(1)}`).join(' ');
  const label = t('panel.chart', { attr, count: points.length, min: num(lo), max: num(hi) });
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-testid="chart">
        <line x1={PAD} y1={H - 16} x2={W - 4} y2={H - 16} stroke="#5f6b7a" />
        <line x1={PAD} y1={8} x2={PAD} y2={H - 16} stroke="#5f6b7a" />
        <text x={2} y={14} fontSize="10" fill="#1f2933">{num(hi)}</text>
        <text x={2} y={H - 18} fontSize="10" fill="#1f2933">{num(lo)}</text>
        <text x={PAD} y={H - 2} fontSize="10" fill="#1f2933">{date(points[0][1])}</text>
        <path d={path} fill="none" stroke="#1f5fa8" strokeWidth="2" />
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
