/**
 * The full-screen map: the city's own geography (no external tiles), the sensors per domain as
 * clustered GeoJSON sources with state symbols, legend toggles applied as layer visibility.
 */
import { useEffect, useRef } from 'react';
import maplibregl, { type GeoJSONSource, type Map as MlMap } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { DOMAINS, STATES, domainOfRow, pointOf, stateOf, type Domain, type Row } from './model';
import { drawIcon, iconName } from './icons';
import type { Geography } from './api';
import { useI18n } from './i18n';

interface Props {
  geography: Geography | undefined;
  rows: Row[];
  visible: Record<Domain, boolean>;
  onSelect(id: string): void;
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

export function MapView({ geography, rows, visible, onSelect }: Props) {
  const { t } = useI18n();
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<MlMap | undefined>(undefined);
  const ready = useRef(false);
  const latest = useRef({ rows, visible });
  latest.current = { rows, visible };

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
    const bounds = new maplibregl.LngLatBounds();
    for (const f of geography.features) if (f.properties?.kind === 'district') (f.geometry as GeoJSON.Polygon).coordinates[0].forEach((c) => bounds.extend(c as [number, number]));
    const m = new maplibregl.Map({
      container: container.current,
      style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }] },
      bounds,
      fitBoundsOptions: { padding: 20 },
      attributionControl: false,
    });
    map.current = m;
    m.addControl(new maplibregl.NavigationControl(), 'top-right');
    m.on('load', () => {
      m.addSource('city', { type: 'geojson', data: geography });
      m.addLayer({ id: 'districts', type: 'fill', source: 'city', filter: kind('district'), paint: { 'fill-color': '#dde3ea', 'fill-outline-color': '#8a97a8' } });
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
    });
    return () => {
      ready.current = false;
      m.remove();
    };
    // The map is built once per geography; data changes go through sync().
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [geography]);

  useEffect(sync, [rows, visible]);

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
