/**
 * The side panel of one entity: every attribute with its unit and observedAt, relationships as
 * links that open the related entity, and the history chart of a numeric attribute.
 */
import { useEffect, useRef, useState } from 'react';
import { loadEntity, loadHistory, type NormalizedEntity, type Series } from './api';
import { typeInfo } from './model';
import { Chart } from './Chart';
import { useI18n } from './i18n';

interface Attr {
  type?: string;
  value?: unknown;
  object?: string;
  unitCode?: string;
  observedAt?: string;
}

interface Props {
  id: string;
  type: string;
  /** Changes whenever a live update touched the entity. */
  version: number;
  onSelect(id: string): void;
  onClose(): void;
}

export function Panel({ id, type, version, onSelect, onClose }: Props) {
  const { t, num, date } = useI18n();
  const [entity, setEntity] = useState<NormalizedEntity>();
  const [range, setRange] = useState<'recent' | 'day'>('recent');
  const [history, setHistory] = useState<Series>();
  const heading = useRef<HTMLHeadingElement>(null);
  const attr = typeInfo(type)?.reading ?? '';

  useEffect(() => {
    loadEntity(id, type).then(setEntity, () => setEntity(undefined));
  }, [id, type, version]);
  useEffect(() => heading.current?.focus(), [id]);
  const latest = entity && (entity[attr] as Attr | undefined)?.observedAt;
  useEffect(() => {
    if (!attr) return;
    loadHistory(id, type, attr, range, latest ?? new Date().toISOString()).then(setHistory, () => setHistory([]));
  }, [id, type, attr, range, latest]);

  const show = (a: Attr) => {
    if (a.type === 'Relationship' && a.object)
      return (
        <a href={`/?entity=${encodeURIComponent(a.object)}`} onClick={(e) => (e.preventDefault(), onSelect(a.object!))}>
          {a.object}
        </a>
      );
    const v = a.value;
    const text = typeof v === 'number' ? num(v) : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return a.unitCode ? `${text} ${a.unitCode}` : text;
  };

  const attrs = entity ? Object.entries(entity).filter(([k]) => k !== 'id' && k !== 'type' && k !== '@context') : [];
  return (
    <aside className="panel" aria-labelledby="panel-title" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="panel-head">
        <h2 id="panel-title" tabIndex={-1} ref={heading}>
          {String((entity?.name as Attr | undefined)?.value ?? id)}
        </h2>
        <button type="button" onClick={onClose}>
          {t('panel.close')}
        </button>
      </div>
      <p className="entity-id">{id}</p>
      <table className="attrs">
        <caption className="visually-hidden">{t('panel.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('panel.attribute')}</th>
            <th scope="col">{t('panel.value')}</th>
            <th scope="col">{t('panel.observedAt')}</th>
          </tr>
        </thead>
        <tbody>
          {attrs.map(([k, a]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{show(a as Attr)}</td>
              <td>{(a as Attr).observedAt ? date((a as Attr).observedAt!) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {attr && (
        <section aria-labelledby="history-title">
          <h3 id="history-title">{t('panel.history', { attr })}</h3>
          <label>
            {t('panel.range')}{' '}
            <select value={range} onChange={(e) => setRange(e.target.value as 'recent' | 'day')}>
              <option value="recent">{t('panel.range.recent')}</option>
              <option value="day">{t('panel.range.day')}</option>
            </select>
          </label>
          {history && <Chart attr={attr} points={history} />}
        </section>
      )}
    </aside>
  );
}
