/** City vital signs: one card per indicator with its state in colour and text, a sparkline and a link to its cause on the map. */
import { useEffect, useState } from 'react';
import { loadVitals, type Vital } from './api';
import { useI18n, type Key } from './i18n';
import { STATE_COLOUR } from './icons';

function Sparkline({ points, label }: { points: Vital['history']; label: string }) {
  const vs = points.map((p) => p.value).filter((v): v is number => v !== null);
  if (vs.length < 2) return null;
  const [lo, hi] = [Math.min(...vs), Math.max(...vs)];
  const d = vs.map((v, i) => `${i ? 'L' : 'M'}${((i / (vs.length - 1)) * 100).toFixed(1)},${(28 - ((v - lo) / (hi - lo || 1)) * 24).toFixed(1)}`).join(' ');
  return (
    <svg viewBox="0 0 100 30" className="sparkline" role="img" aria-label={label}>
      <path d={d} fill="none" stroke="#1f5fa8" strokeWidth="1.5" />
    </svg>
  );
}

export function mapLink(v: Vital): string {
  const p = new URLSearchParams({ type: v.cause.type });
  if (v.cause.attribute) p.set('attribute', v.cause.attribute);
  if (v.cause.value !== undefined) p.set('value', String(v.cause.value));
  return `/?${p}`;
}

export function VitalsPage({ navigate }: { navigate(url: string): void }) {
  const { t, num } = useI18n();
  const [vitals, setVitals] = useState<Vital[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const load = () => loadVitals().then(setVitals, (e: Error) => setError(e.message));
    load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <section className="vitals" aria-labelledby="vitals-title">
      <h2 id="vitals-title">{t('vitals.title')}</h2>
      {error && <p role="alert">{t('error.load', { detail: error })}</p>}
      <ul>
        {vitals?.map((v) => (
          <li key={v.id} className={`vital state-${v.state}`} style={{ borderLeftColor: STATE_COLOUR[v.state] }} data-vital={v.id}>
            <h3>{t(`vital.${v.id}` as Key)}</h3>
            <p className="vital-value">
              {v.value === null ? '–' : num(v.value)} {v.unit ?? ''}
            </p>
            <p className="vital-state">{t(`state.${v.state}` as Key)}</p>
            <Sparkline points={v.history} label={t('vitals.trend')} />
            <a href={mapLink(v)} onClick={(e) => (e.preventDefault(), navigate(mapLink(v)))}>
              {t('vitals.showOnMap')}
              <span className="visually-hidden">: {t(`vital.${v.id}` as Key)}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
