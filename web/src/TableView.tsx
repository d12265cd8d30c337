/** The accessible alternative to the map: the sensors of one layer in a sortable table. */
import { useState } from 'react';
import { DOMAINS, domainOfRow, stateOf, typeInfo, type Domain, type Row } from './model';
import { useI18n, type Key } from './i18n';

type Col = 'name' | 'type' | 'state' | 'reading' | 'observed';
const COLS: Col[] = ['name', 'type', 'state', 'reading', 'observed'];

const reading = (r: Row) => r[typeInfo(r.type)?.reading ?? ''];
const observed = (r: Row) => String(r.dateObserved ?? r.observationDateTime ?? r.dateLastValueReported ?? '');

export function TableView({ rows, onSelect }: { rows: Row[]; onSelect(id: string): void }) {
  const { t, num, date } = useI18n();
  const [layer, setLayer] = useState<Domain>('environment');
  const [sort, setSort] = useState<{ col: Col; dir: 1 | -1 }>({ col: 'name', dir: 1 });
  const key = (r: Row, c: Col): string | number => {
    if (c === 'name') return String(r.name ?? r.id);
    if (c === 'type') return r.type;
    if (c === 'state') return stateOf(r);
    if (c === 'observed') return observed(r);
    const v = reading(r);
    return typeof v === 'number' ? v : String(v ?? '');
  };
  const shown = rows
    .filter((r) => domainOfRow(r) === layer)
    .sort((a, b) => {
      const [x, y] = [key(a, sort.col), key(b, sort.col)];
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    })
    .slice(0, 500);
  const total = rows.filter((r) => domainOfRow(r) === layer).length;
  return (
    <section className="table-view" aria-labelledby="table-caption">
      <label>
        {t('table.layer')}{' '}
        <select value={layer} onChange={(e) => setLayer(e.target.value as Domain)}>
          {DOMAINS.map((d) => (
            <option key={d} value={d}>
              {t(`domain.${d}` as Key)}
            </option>
          ))}
        </select>
      </label>
      <table>
        <caption id="table-caption">{t('table.caption', { layer: t(`domain.${layer}` as Key), count: num(total) })}</caption>
        <thead>
          <tr>
            {COLS.map((c) => (
              <th key={c} scope="col" aria-sort={sort.col === c ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                <button type="button" onClick={() => setSort({ col: c, dir: sort.col === c ? (-sort.dir as 1 | -1) : 1 })} aria-label={t('table.sortBy', { col: t(`table.${c}` as Key) })}>
                  {t(`table.${c}` as Key)}
                </button>
              </th>
            ))}
            <th scope="col">{t('table.open')}</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => {
            const v = reading(r);
            return (
              <tr key={r.id} data-entity={r.id}>
                <th scope="row">{String(r.name ?? r.id)}</th>
                <td>{r.type}</td>
                <td className={`state state-${stateOf(r)}`}>{t(`state.${stateOf(r)}` as Key)}</td>
                <td>{typeof v === 'number' ? num(v) : String(v ?? '')}</td>
                <td>{observed(r) ? date(observed(r)) : ''}</td>
                <td>
                  <button type="button" onClick={() => onSelect(r.id)} aria-label={`${t('table.open')}: ${String(r.name ?? r.id)}`}>
                    {t('table.open')}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
