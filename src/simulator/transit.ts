/**
 * The demo city's bus network as NGSI-LD entities (Smart Data Models, dataModel.UrbanMobility):
 * one `GtfsStop` per stop and one `GtfsRoute` per line of the geography, both `operatedBy` the
 * city's `GtfsAgency`. Normalized form, read with the UrbanMobility @context. Only attributes the
 * models define are used: GtfsRoute has no attribute listing its stops (in GTFS that link goes
 * through trips and stop times), so the stop sequence stays in the geography.
 */
import type { City } from './geography.js';
import { sdmContext } from './scenarios.js';

export const TRANSIT_CONTEXT = sdmContext('UrbanMobility');
export const AGENCY_ID = 'urn:ngsi-ld:GtfsAgency:demo-transit';
export const stopEntityId = (stopId: string) => `urn:ngsi-ld:GtfsStop:demo-${stopId}`;
export const routeEntityId = (routeId: string) => `urn:ngsi-ld:GtfsRoute:demo-${routeId}`;

/** GTFS route_type 3: bus. */
const BUS = '3';
const prop = (value: unknown) => ({ type: 'Property', value });

/** The agency, the stops and the routes of the city, in that order. */
export function transitEntities(city: City): Array<Record<string, unknown>> {
  const stopName = new Map(city.stops.map((s) => [s.id, s.name]));
  const agency = { id: AGENCY_ID, type: 'GtfsAgency', name: prop(`${city.name} Transit`), timezone: prop('Etc/UTC') };
  const stops = city.stops.map((s, i) => ({
    id: stopEntityId(s.id),
    type: 'GtfsStop',
    name: prop(s.name),
    code: prop(String(101 + i)),
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: s.position } },
    operatedBy: { type: 'Relationship', object: [AGENCY_ID] },
  }));
  const routes = city.routes.map((r, i) => {
    const [first, last] = [stopName.get(r.stops[0]), stopName.get(r.stops[r.stops.length - 1])];
    return {
      id: routeEntityId(r.id),
      type: 'GtfsRoute',
      shortName: prop(r.shortName),
      name: prop(`${first} - ${last}`),
      description: prop(`Bus line ${r.shortName}: ${r.stops.length} stops from ${first} to ${last}`),
      routeType: prop(BUS),
      routeColor: prop(r.color),
      routeTextColor: prop('FFFFFF'),
      routeSortOrder: prop(i + 1),
      operatedBy: { type: 'Relationship', object: AGENCY_ID },
    };
  });
  return [agency, ...stops, ...routes];
}
