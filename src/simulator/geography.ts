/**
 * The geography of the demo city, generated from the seed (so the same seed gives the same city
 * and nothing has to be shipped as data files): a street grid with jittered intersections, road
 * segments, nine named districts whose borders follow the streets, a river with gauges, parks, and
 * bus routes with their stops. Served as GeoJSON at GET /city/geography.
 */
import { seededRandom } from './random.js';

export type Position = [number, number];

export interface RoadSegment {
  id: string;
  name: string;
  from: Position;
  to: Position;
  lengthM: number;
}

export interface District {
  id: string;
  name: string;
  ring: Position[];
}

export interface Park {
  id: string;
  name: string;
  ring: Position[];
  center: Position;
}

export interface BusStop {
  id: string;
  name: string;
  position: Position;
}

export interface BusRoute {
  id: string;
  shortName: string;
  color: string;
  /** Stop ids in order; the bus drives between consecutive stops along the streets. */
  stops: string[];
  path: Position[];
}

export interface City {
  name: string;
  seed: number;
  center: Position;
  /** [west, south, east, north] */
  bbox: [number, number, number, number];
  intersections: Position[][];
  roads: RoadSegment[];
  districts: District[];
  river: Position[];
  gauges: Array<{ id: string; name: string; position: Position }>;
  parks: Park[];
  stops: BusStop[];
  routes: BusRoute[];
}

/** The fictional city sits on open land; coordinates are WGS84 longitude, latitude. */
const CENTER: Position = [-1.02, 44.05];
const GRID = 8;
const SPACING_M = 600;
const M_PER_DEG_LAT = 111_320;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((CENTER[1] * Math.PI) / 180);

const STREETS = ['Harbour', 'Linden', 'Mill', 'Quarry', 'Orchard', 'Foundry', 'Chapel', 'Weaver', 'Beacon', 'Tannery', 'Granary', 'Lantern', 'Meadow', 'Ferry', 'Cooper', 'Bell'];
const DISTRICTS = ['Old Town', 'Riverside', 'Northgate', 'Eastfield', 'Market Quarter', 'Westbrook', 'Southmoor', 'Canal Docks', 'Hillcrest'];
const PARKS = ['Willow Park', 'Kingfisher Gardens', 'Founders Green', 'Heron Meadows', 'Lime Tree Park', 'Stone Bridge Commons'];
const COLORS = ['E6194B', '3CB44B', '4363D8', 'F58231', '911EB4', '008080'];

const round = (v: number) => Math.round(v * 1e6) / 1e6;
export const toPosition = (xM: number, yM: number): Position => [round(CENTER[0] + xM / M_PER_DEG_LON), round(CENTER[1] + yM / M_PER_DEG_LAT)];

/** Distance in metres between two positions (equirectangular; the city is small). */
export function distanceM(a: Position, b: Position): number {
  return Math.hypot((a[0] - b[0]) * M_PER_DEG_LON, (a[1] - b[1]) * M_PER_DEG_LAT);
}

export function generateCity(seed: number): City {
  const rnd = seededRandom(seed);
  const jitter = () => (rnd() - 0.5) * 140;
  const half = ((GRID - 1) * SPACING_M) / 2;
  const grid: Position[][] = [];
  for (let r = 0; r < GRID; r++) {
    const row: Position[] = [];
    for (let c = 0; c < GRID; c++) row.push(toPosition(c * SPACING_M - half + jitter(), r * SPACING_M - half + jitter()));
    grid.push(row);
  }
  const streetNames = [...STREETS].sort(() => rnd() - 0.5);
  const roads: RoadSegment[] = [];
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c + 1 < GRID; c++) {
      const [from, to] = [grid[r][c], grid[r][c + 1]];
      roads.push({ id: `road-h${r}-${c}`, name: `${streetNames[r]} Street`, from, to, lengthM: Math.round(distanceM(from, to)) });
    }
  }
  for (let c = 0; c < GRID; c++) {
    for (let r = 0; r + 1 < GRID; r++) {
      const [from, to] = [grid[r][c], grid[r + 1][c]];
      roads.push({ id: `road-v${c}-${r}`, name: `${streetNames[GRID + c]} Avenue`, from, to, lengthM: Math.round(distanceM(from, to)) });
    }
  }

  // Districts: a 3x3 partition of the grid, their borders along the streets.
  const cuts = [0, 2, 5, GRID - 1];
  const districtNames = [...DISTRICTS].sort(() => rnd() - 0.5);
  const districts: District[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const [r0, r1, c0, c1] = [cuts[i], cuts[i + 1], cuts[j], cuts[j + 1]];
      const ring: Position[] = [];
      for (let c = c0; c < c1; c++) ring.push(grid[r0][c]);
      for (let r = r0; r < r1; r++) ring.push(grid[r][c1]);
      for (let c = c1; c > c0; c--) ring.push(grid[r1][c]);
      for (let r = r1; r > r0; r--) ring.push(grid[r][c0]);
      ring.push(ring[0]);
      districts.push({ id: `district-${i * 3 + j + 1}`, name: districtNames[i * 3 + j], ring });
    }
  }

  // The river crosses the city from west to east, meandering.
  const phase = rnd() * Math.PI * 2;
  const river: Position[] = [];
  for (let k = 0; k <= 48; k++) {
    const x = -half - 900 + ((2 * half + 1800) * k) / 48;
    river.push(toPosition(x, -SPACING_M * 0.5 + 420 * Math.sin(x / 900 + phase)));
  }
  const gauges = Array.from({ length: 12 }, (_, k) => {
    const p = river[4 + k * 3];
    return { id: `gauge-${k + 1}`, name: `River gauge ${k + 1}`, position: p };
  });

  // Parks: blocks of the grid, shrunk inside their streets.
  const parks: Park[] = [];
  const used = new Set<string>();
  while (parks.length < PARKS.length) {
    const r = 1 + Math.floor(rnd() * (GRID - 2));
    const c = Math.floor(rnd() * (GRID - 1));
    const key = `${r}/${c}`;
    if (used.has(key)) continue;
    used.add(key);
    const corners = [grid[r][c], grid[r][c + 1], grid[r - 1][c + 1], grid[r - 1][c]];
    const cx = corners.reduce((s, p) => s + p[0], 0) / 4;
    const cy = corners.reduce((s, p) => s + p[1], 0) / 4;
    const ring = corners.map(([x, y]): Position => [round(cx + (x - cx) * 0.8), round(cy + (y - cy) * 0.8)]);
    ring.push(ring[0]);
    parks.push({ id: `park-${parks.length + 1}`, name: PARKS[parks.length], ring, center: [round(cx), round(cy)] });
  }

  // Bus routes: three east-west and three north-south lines across the grid, stops at intersections.
  const stops = new Map<string, BusStop>();
  const stopAt = (r: number, c: number) => {
    const id = `stop-${r}-${c}`;
    if (!stops.has(id)) stops.set(id, { id, name: `${streetNames[r]} St / ${streetNames[GRID + c]} Av`, position: grid[r][c] });
    return id;
  };
  const routes: BusRoute[] = [];
  const lines: Array<Array<[number, number]>> = [
    ...[1, 3, 6].map((r) => Array.from({ length: GRID }, (_, c): [number, number] => [r, c])),
    ...[2, 4, 6].map((c) => Array.from({ length: GRID }, (_, r): [number, number] => [r, c])),
  ];
  lines.forEach((cells, k) => {
    routes.push({ id: `route-${k + 1}`, shortName: String(k + 1), color: COLORS[k], stops: cells.map(([r, c]) => stopAt(r, c)), path: cells.map(([r, c]) => grid[r][c]) });
  });

  const all = grid.flat();
  const xs = all.map((p) => p[0]).concat(river.map((p) => p[0]));
  const ys = all.map((p) => p[1]).concat(river.map((p) => p[1]));
  return {
    name: 'Urbis Demo City',
    seed,
    center: CENTER,
    bbox: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
    intersections: grid,
    roads,
    districts,
    river,
    gauges,
    parks,
    stops: [...stops.values()],
    routes,
  };
}

/** The district containing a point (ray casting), if any. */
export function districtOf(city: City, p: Position): District | undefined {
  return city.districts.find((d) => {
    let inside = false;
    for (let i = 0, j = d.ring.length - 1; i < d.ring.length; j = i++) {
      const [xi, yi] = d.ring[i];
      const [xj, yj] = d.ring[j];
      if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  });
}

/** The city as a GeoJSON FeatureCollection (properties.kind tells what each feature is). */
export function cityGeoJson(city: City): Record<string, unknown> {
  const f = (geometry: Record<string, unknown>, properties: Record<string, unknown>) => ({ type: 'Feature', id: properties.id, geometry, properties });
  return {
    type: 'FeatureCollection',
    name: city.name,
    bbox: city.bbox,
    features: [
      ...city.districts.map((d) => f({ type: 'Polygon', coordinates: [d.ring] }, { kind: 'district', id: d.id, name: d.name })),
      ...city.roads.map((r) => f({ type: 'LineString', coordinates: [r.from, r.to] }, { kind: 'road', id: r.id, name: r.name, lengthM: r.lengthM })),
      f({ type: 'LineString', coordinates: city.river }, { kind: 'river', id: 'river', name: 'River Urb' }),
      ...city.gauges.map((g) => f({ type: 'Point', coordinates: g.position }, { kind: 'gauge', id: g.id, name: g.name })),
      ...city.parks.map((p) => f({ type: 'Polygon', coordinates: [p.ring] }, { kind: 'park', id: p.id, name: p.name })),
      ...city.routes.map((r) => f({ type: 'LineString', coordinates: r.path }, { kind: 'busRoute', id: r.id, route_short_name: r.shortName, route_color: r.color, stops: r.stops })),
      ...city.stops.map((s) => f({ type: 'Point', coordinates: s.position }, { kind: 'busStop', id: s.id, stop_name: s.name })),
    ],
  };
}
