/**
 * Search among the loaded entities by id, name, type or address-like text (district or street in
 * the name or address); the matches are a list of buttons, choosing one opens it on the map.
 */
import { useId, useMemo, useState } from 'react';
import type { Row } from './model';
import { useI18n } from './i18n';

const MAX_RESULTS = 8;

/** The text an entity is found by: its id, name, type and address. */
function haystack(r: Row): string {
  const address = r.address;
  const addressText = typeof address === 'object' && address ? Object.values(address).join(' ') : String(address ?? '');
  return [r.id, r.name ?? '', r.type, addressText].join(' ').toLowerCase();
}

export function Search({ entities, onChoose }: { entities: Map<string, Row>; onChoose(r: Row): void }) {
  const { t, num } = useI18n();
  const [query, setQuery] = useState('');
  const resultsId = useId();
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const matches = useMemo(() => {
    const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    const found: Row[] = [];
    for (const r of entities.values()) {
      const text = haystack(r);
      if (words.every((w) => text.includes(w))) found.push(r);
    }
    return found.sort((a, b) => String(a.name ?? a.id).localeCompare(String(b.name ?? b.id)));
  }, [entities, query]);

  const choose = (r: Row) => {
    setQuery('');
    onChoose(r);
  };
  return (
    <form role="search" className="search" aria-label={t('search.title')} onSubmit={(e) => (e.preventDefault(), matches[0] && choose(matches[0]))}>
      <label>
        {t('search.label')}{' '}
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} aria-controls={resultsId} aria-describedby={`${resultsId}-count`} onKeyDown={(e) => e.key === 'Escape' && setQuery('')} />
      </label>
      <span id={`${resultsId}-count`} role="status" className="visually-hidden">
        {words.length ? t('search.count', { count: num(matches.length) }) : ''}
      </span>
      <ul id={resultsId} className="search-results" aria-label={t('search.results')} hidden={!words.length}>
        {words.length > 0 && matches.length === 0 && <li>{t('search.none')}</li>}
        {matches.slice(0, MAX_RESULTS).map((r) => (
          <li key={r.id}>
            <button type="button" onClick={() => choose(r)}>
              {String(r.name ?? r.id)} <span className="search-type">{r.type}</span>
            </button>
          </li>
        ))}
        {matches.length > MAX_RESULTS && <li>{t('search.more', { count: num(matches.length - MAX_RESULTS) })}</li>}
      </ul>
    </form>
  );
}
