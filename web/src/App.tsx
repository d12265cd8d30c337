/**
 * The operations centre: header (navigation, language, sign-in), the map with its legend, the
 * table view, the vital signs page and the entity panel, search and replay; entities loaded from
 * the NGSI-LD API and kept current from the live stream (GET /live, Server-Sent Events). While
 * replaying, the map and the table show the state from history and live updates wait behind it.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { loadEntities, loadGeography, loadMapConfig, signIn, type Geography, type MapConfig } from './api';
import { DOMAINS, matches, pointOf, type Domain, type Filter, type Row } from './model';
import { I18nContext, makeI18n, type Key, type Locale } from './i18n';
import { MapView } from './MapView';
import { Panel } from './Panel';
import { TableView } from './TableView';
import { VitalsPage } from './VitalsPage';
import { Replay, type ReplayState } from './Replay';
import { Search } from './Search';

declare global {
  interface Window {
    /** Test hook: what the app has loaded and received. */
    __urbis?: { entities: number; liveUpdates: number; seen: Record<string, number>; firstRenderMs?: number; center?: [number, number] };
  }
}

const hook = (window.__urbis = { entities: 0, liveUpdates: 0, seen: {} } as NonNullable<Window['__urbis']>);

function filterOf(search: string): Filter | undefined {
  const p = new URLSearchParams(search);
  const type = p.get('type');
  if (!type) return undefined;
  return { type, ...(p.get('attribute') ? { attribute: p.get('attribute')! } : {}), ...(p.get('value') !== null ? { value: p.get('value')! } : {}) };
}

export function App() {
  const [locale, setLocale] = useState<Locale>(() => (localStorage.getItem('urbis.locale') as Locale) ?? 'en');
  const i18n = useMemo(() => makeI18n(locale), [locale]);
  const { t } = i18n;
  const [loc, setLoc] = useState({ path: location.pathname, search: location.search });
  const [geography, setGeography] = useState<Geography>();
  const [mapConfig, setMapConfig] = useState<MapConfig>();
  const [entities, setEntities] = useState<Map<string, Row>>(new Map());
  const [versions, setVersions] = useState<Record<string, number>>({});
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string>();
  const [live, setLive] = useState(false);
  const [visible, setVisible] = useState<Record<Domain, boolean>>({ mobility: true, environment: true, water: true, energy: true, safety: true });
  const [selected, setSelected] = useState<string | undefined>(() => new URLSearchParams(location.search).get('entity') ?? undefined);
  const [user, setUser] = useState<string>();
  const [signInFailed, setSignInFailed] = useState(false);
  const [replay, setReplay] = useState<ReplayState>();
  const [focus, setFocus] = useState<{ at: [number, number]; n: number }>();

  const navigate = useCallback((url: string) => {
    history.pushState(null, '', url);
    setLoc({ path: location.pathname, search: location.search });
  }, []);
  useEffect(() => {
    const pop = () => setLoc({ path: location.pathname, search: location.search });
    addEventListener('popstate', pop);
    return () => removeEventListener('popstate', pop);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = t('app.title');
    localStorage.setItem('urbis.locale', locale);
  }, [locale, t]);

  const reload = useCallback(() => {
    loadEntities().then(
      (rows) => {
        setEntities(new Map(rows.map((r) => [r.id, r])));
        hook.entities = rows.length;
        hook.firstRenderMs ??= Math.round(performance.now());
        setLoaded(true);
      },
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(() => {
    // The map is built once both are known: the geography, and whether tiles go under it.
    Promise.all([loadGeography(), loadMapConfig()]).then(([g, c]) => {
      setMapConfig(c);
      setGeography(g);
    }, (e: Error) => setError(e.message));
    fetch('/auth/me', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : undefined))
      .then((me: { subject?: string } | undefined) => me?.subject && setUser(me.subject), () => {});
    reload();
  }, [reload]);

  useEffect(() => {
    const source = new EventSource('/live');
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    source.addEventListener('entity', (e) => {
      const row = JSON.parse((e as MessageEvent<string>).data) as Row;
      hook.liveUpdates++;
      hook.seen[row.id] = (hook.seen[row.id] ?? 0) + 1;
      setEntities((m) => new Map(m).set(row.id, { ...m.get(row.id), ...row }));
      setVersions((v) => ({ ...v, [row.id]: (v[row.id] ?? 0) + 1 }));
    });
    return () => source.close();
    // Reconnect when the caller changes: the stream carries what the signed-in user may read.
  }, [user]);

  /** The entities as shown: live, or while replaying those with history at the instant, in their past state. */
  const shown = useMemo(() => {
    if (!replay) return entities;
    const past = new Map<string, Row>();
    for (const [id, r] of entities) {
      const then = replay.states.get(id);
      if (!then) continue;
      const row: Row = { ...r, ...then.attrs };
      for (const k of ['dateObserved', 'observationDateTime', 'dateLastValueReported']) if (k in r) row[k] = then.at;
      past.set(id, row);
    }
    return past;
  }, [entities, replay]);
  const filter = filterOf(loc.search);
  const rows = useMemo(() => [...shown.values()].filter((r) => matches(r, filter)), [shown, filter?.type, filter?.attribute, filter?.value]);
  const selectedRow = selected ? entities.get(selected) : undefined;
  const page = loc.path === '/vitals' ? 'vitals' : loc.path === '/table' ? 'table' : 'map';

  const submit = async (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const ok = await signIn(String(f.get('username')), String(f.get('password')));
    setSignInFailed(!ok);
    if (ok) {
      setUser(String(f.get('username')));
      reload();
    }
  };
  const choose = (r: Row) => {
    if (page !== 'map' || !matches(r, filter)) navigate('/');
    const at = pointOf(shown.get(r.id) ?? r);
    if (at) setFocus((f) => ({ at, n: (f?.n ?? 0) + 1 }));
    setSelected(r.id);
  };
  const signOut = async () => {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    setUser(undefined);
    reload();
  };

  const panel = selected && (
    <Panel id={selected} type={selectedRow?.type ?? selected.split(':')[2] ?? ''} version={versions[selected] ?? 0} onSelect={setSelected} onClose={() => setSelected(undefined)} />
  );
  return (
    <I18nContext.Provider value={i18n}>
      <header className="top">
        <h1>{t('app.title')}</h1>
        <nav aria-label={t('nav.main')}>
          {(['map', 'table', 'vitals'] as const).map((p) => (
            <a key={p} href={p === 'map' ? '/' : `/${p}`} aria-current={page === p ? 'page' : undefined} onClick={(e) => (e.preventDefault(), navigate(p === 'map' ? '/' : `/${p}`))}>
              {t(`nav.${p}` as Key)}
            </a>
          ))}
        </nav>
        <Search entities={shown} onChoose={choose} />
        <label className="lang">
          {t('lang.label')}{' '}
          <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
            <option value="en" lang="en">English</option>
            <option value="zh-CN" lang="zh-CN">简体中文</option>
          </select>
        </label>
        {user ? (
          <span className="user">
            {t('signin.as', { name: user })}{' '}
            <button type="button" onClick={signOut}>
              {t('signin.out')}
            </button>
          </span>
        ) : (
          <form className="signin" onSubmit={submit} aria-label={t('signin.title')}>
            <label>
              {t('signin.username')} <input name="username" autoComplete="username" required />
            </label>
            <label>
              {t('signin.password')} <input name="password" type="password" autoComplete="current-password" required />
            </label>
            <button type="submit">{t('signin.submit')}</button>
            {signInFailed && <span role="alert">{t('signin.failed')}</span>}
          </form>
        )}
        <span className={`live ${live ? 'on' : 'off'}`} role="status">
          {live ? t('live.connected') : t('live.disconnected')}
        </span>
      </header>
      <main className={`page-${page}`}>
        {error && <p role="alert">{t('error.load', { detail: error })}</p>}
        {page === 'vitals' && <VitalsPage navigate={navigate} />}
        {page !== 'vitals' && <Replay onReplay={setReplay} />}
        {page === 'table' && <TableView rows={rows} onSelect={setSelected} />}
        {page === 'map' && (
          <div className="map-area">
            <MapView geography={geography} mapConfig={mapConfig} rows={rows} visible={visible} onSelect={setSelected} focus={focus} />
            <section className="legend" aria-labelledby="legend-title">
              <h2 id="legend-title">{t('legend.title')}</h2>
              <p role="status">{loaded ? t('map.loaded', { count: i18n.num(rows.length) }) : t('map.loading')}</p>
              {filter && (
                <p>
                  {t('map.filter', { what: [filter.type, filter.attribute, filter.value].filter(Boolean).join(' ') })}{' '}
                  <button type="button" onClick={() => navigate('/')}>
                    {t('map.clearFilter')}
                  </button>
                </p>
              )}
              <ul>
                {DOMAINS.map((d) => (
                  <li key={d}>
                    <label>
                      <input type="checkbox" checked={visible[d]} onChange={(e) => setVisible({ ...visible, [d]: e.target.checked })} /> <span className={`shape shape-${d}`} aria-hidden="true" />
                      {t(`domain.${d}` as Key)}
                    </label>
                  </li>
                ))}
              </ul>
              <ul className="states">
                <li><span aria-hidden="true">✓</span> {t('state.ok')}</li>
                <li><span aria-hidden="true">!</span> {t('state.warning')}</li>
                <li><span aria-hidden="true">✕</span> {t('state.alert')}</li>
                <li><span aria-hidden="true">–</span> {t('state.off')}</li>
              </ul>
            </section>
            {panel}
          </div>
        )}
        {page !== 'map' && panel}
      </main>
    </I18nContext.Provider>
  );
}
