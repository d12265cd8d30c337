/**
 * The full-screen map: the city's own geography (no external tiles, unless the server configures
 * raster tiles to draw under it), the sensors per domain as clustered GeoJSON sources with state
 * symbols, legend toggles applied as layer visibility.
 */
import { useEffect, useRef } from 'react';
import maplibregl, { type GeoJSONSource, type Map as MlMap } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { DOMAINS, STATES, domainOfRow, pointOf, stateOf, type Domain, type Row } from './model';
import { drawIcon, iconName } from './icons';
import type { Geography, MapConfig } from './api';
import { useI18n } from './i18n';

interface Props {
  geography: Geography | undefined;
  /** Raster tiles under the city, when the server has them configured. */
  mapConfig?: MapConfig;
  rows: Row[];
  visible: Record<Domain, boolean>;
  onSelect(id: string): void;
  /** Where to centre the map (a search result); `n` changes on every request. */
  focus?: { at: [number, number]; n: number };
}

function pointsOf(rows: Row[], domain: Domain): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = [];
  for (const r of rows) {
    const p = pointOf(r);
    if (!p || domainOfRow(r) !== domain) continue;
    features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: { id: r.id, icon: iconName(domain, stateOf(r)) } });
  }
  return { type: 'FeatureCollection', features };
}

const kind = (k: string) => ['==', ['get', 'kind'], k] as maplibregl.FilterSpecification;

export function MapView({ geography, mapConfig, rows, visible, onSelect, focus }: Props) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<MlMap | undefined>(undefined);
  const ready = useRef(false);
  const latest = useRef({ rows, visible, focus });
  latest.current = { rows, visible, focus };

  const sync = () => {
    const m = map.current;
    if (!m || !ready.current) return;
    for (const d of DOMAINS) {
      (m.getSource(`sensors-${d}`) as GeoJSONSource | undefined)?.setData(pointsOf(latest.current.rows, d));
      for (const l of [`sensors-${d}`, `clusters-${d}`]) m.setLayoutProperty(l, 'visibility', latest.current.visible[d] ? 'visible' : 'none');
    }
  };

  useEffect(() => {
    if (!geography || !container.current) return;
    const tiles = mapConfig;
    const bounds = new maplibregl.LngLatBounds();
    for (const f of geography.features) if (f.properties?.kind === 'district') (f.geometry as GeoJSON.Polygon).coordinates[0].forEach((c) => bounds.extend(c as [number, number]));
    const m = new maplibregl.Map({
      container: container.current,
      style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }] },
      bounds,
      fitBoundsOptions: { padding: 20 },
      attributionControl: tiles?.attribution ? { compact: false, customAttribution: tiles.attribution } : false,
    });
    map.current = m;
    // Top left: the entity panel opens on the right and would cover the zoom buttons.
    m.addControl(new maplibregl.NavigationControl(), 'top-left');
    m.on('moveend', () => {
      const c = m.getCenter();
      if (window.__urbis) window.__urbis.center = [c.lng, c.lat];
    });
    m.on('load', () => {
      if (tiles?.tiles) {
        m.addSource('tiles', { type: 'raster', tiles: [tiles.tiles], tileSize: 256 });
        m.addLayer({ id: 'tiles', type: 'raster', source: 'tiles' });
      }
      m.addSource('city', { type: 'geojson', data: geography });
      // Over tiles, districts are a tint so that the streets beneath stay readable.
      m.addLayer({ id: 'districts', type: 'fill', source: 'city', filter: kind('district'), paint: { 'fill-color': '#dde3ea', 'fill-outline-color': '#8a97a8', 'fill-opacity': tiles?.tiles ? 0.35 : 1 } });
      m.addLayer({ id: 'parks', type: 'fill', source: 'city', filter: kind('park'), paint: { 'fill-color': '#b9dcb0' } });
      m.addLayer({ id: 'roads', type: 'line', source: 'city', filter: kind('road'), paint: { 'line-color': '#ffffff', 'line-width': 3 } });
      m.addLayer({ id: 'river', type: 'line', source: 'city', filter: kind('river'), paint: { 'line-color': '#4a90c8', 'line-width': 8 } });
      m.addLayer({ id: 'bus-routes', type: 'line', source: 'city', filter: kind('busRoute'), paint: { 'line-color': ['concat', '#', ['coalesce', ['get', 'route_color'], '7a5cc2']], 'line-width': 2, 'line-dasharray': [2, 1] } });
      for (const d of DOMAINS) for (const s of STATES) m.addImage(iconName(d, s), drawIcon(d, s));
      for (const d of DOMAINS) {
        m.addSource(`sensors-${d}`, { type: 'geojson', data: pointsOf(latest.current.rows, d), cluster: true, clusterMaxZoom: 14, clusterRadius: 30 });
        m.addLayer({ id: `clusters-${d}`, type: 'circle', source: `sensors-${d}`, filter: ['has', 'point_count'], paint: { 'circle-color': '#44546a', 'circle-opacity': 0.75, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2, 'circle-radius': ['step', ['get', 'point_count'], 10, 20, 14, 100, 18] } });
        m.addLayer({ id: `sensors-${d}`, type: 'symbol', source: `sensors-${d}`, filter: ['!', ['has', 'point_count']], layout: { 'icon-image': ['get', 'icon'], 'icon-allow-overlap': true } });
        m.on('click', `sensors-${d}`, (e) => {
          const id = e.features?.[0]?.properties?.id;
          if (typeof id === 'string') onSelect(id);
        });
        m.on('click', `clusters-${d}`, (e) => m.easeTo({ center: e.lngLat, zoom: m.getZoom() + 2 }));
      }
      ready.current = true;
      sync();
      centre();
    });
    return () => {
      ready.current = false;
      m.remove();
    };
    // The map is built once per geography; data changes go through sync().
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [geography, mapConfig]);

  useEffect(sync, [rows, visible]);

  const centre = () => {
    const m = map.current;
    const f = latest.current.focus;
    if (m && ready.current && f) m.jumpTo({ center: f.at, zoom: Math.max(m.getZoom(), 16) });
  };
  useEffect(centre, [focus?.n]);

  return (
    <div
      ref={container}
      className="map"
      tabIndex={0}
      role="region"
      aria-label={t('map.label')}
      aria-describedby="map-description"
    >
      <p id="map-description" className="visually-hidden">
        {t('map.description', { count: rows.length })}
      </p>
    </div>
  );
}
