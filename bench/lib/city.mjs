/**
 * The benchmark's synthetic city: deterministic NGSI-LD entities of five Smart-City-like types,
 * each with 10 attributes (strings, numbers with observedAt and unitCode, a date-time and a
 * GeoProperty Point), spread uniformly over a 20 km × 20 km square. Entity i is always the same,
 * so the raw-insert ceiling stores exactly the rows P1 sends, and queries are reproducible.
 * Terms are left to the default @context (no Link header).
 */

export const TYPES = ['AirQualityObserved', 'WeatherObserved', 'ParkingSpot', 'StreetLight', 'NoiseLevelObserved'];
/** Centre of the city (lon, lat) and half the side of the square in km. */
export const CENTRE = [2.1734, 41.3851];
const HALF_SIDE_KM = 10;
const KM_PER_DEG_LAT = 111.32;
const KM_PER_DEG_LON = KM_PER_DEG_LAT * Math.cos((CENTRE[1] * Math.PI) / 180);
/** Range of the temperature attribute (uniform), which q ranges select on. */
export const TEMPERATURE = { min: -10, max: 40 };
const CATEGORIES = ['environment', 'mobility', 'lighting', 'parking', 'noise'];
const STATUSES = ['ok', 'ok', 'ok', 'maintenance', 'fault'];
const OBSERVED = Date.UTC(2026, 0, 15, 12);

/** A seeded pseudo-random generator (mulberry32) returning numbers in [0, 1). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const r2 = (x) => Math.round(x * 100) / 100;

/** A point of the city (lon, lat) from two uniform numbers in [0, 1). */
export function cityPoint(u, v) {
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  return [r6(CENTRE[0] + ((u * 2 - 1) * HALF_SIDE_KM) / KM_PER_DEG_LON), r6(CENTRE[1] + ((v * 2 - 1) * HALF_SIDE_KM) / KM_PER_DEG_LAT)];
}

export const entityId = (i) => `urn:ngsi-ld:${TYPES[i % TYPES.length]}:bench-${i}`;

/** Entity i of the city, normalized NGSI-LD (10 attributes). */
export function entity(i) {
  const rnd = random(i + 1);
  const observedAt = new Date(OBSERVED + Math.floor(rnd() * 86_400_000)).toISOString();
  return {
    id: entityId(i),
    type: TYPES[i % TYPES.length],
    name: { type: 'Property', value: `Sensor ${i}` },
    category: { type: 'Property', value: CATEGORIES[Math.floor(rnd() * CATEGORIES.length)] },
    status: { type: 'Property', value: STATUSES[Math.floor(rnd() * STATUSES.length)] },
    temperature: { type: 'Property', value: r2(TEMPERATURE.min + rnd() * (TEMPERATURE.max - TEMPERATURE.min)), unitCode: 'CEL', observedAt },
    humidity: { type: 'Property', value: r2(rnd() * 100), unitCode: 'P1', observedAt },
    pressure: { type: 'Property', value: r2(950 + rnd() * 100), unitCode: 'A97', observedAt },
    intensity: { type: 'Property', value: r2(rnd() * 1000) },
    occupancy: { type: 'Property', value: Math.floor(rnd() * 101) },
    dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': observedAt } },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: cityPoint(rnd(), rnd()) } },
  };
}

/** The attributes of entity e (every member but id and type), as [name, attribute] pairs. */
export const attributesOf = (e) => Object.entries(e).filter(([k]) => k !== 'id' && k !== 'type');
