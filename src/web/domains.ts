/**
 * The entity types the operations centre shows, each with its domain (map layer) and the Smart
 * Data Models @context its attributes are named in (taken from the demo city's scenarios).
 */
import { SCENARIOS, sdmContext } from '../simulator/scenarios.js';
import { DEFAULT_CORE_CONTEXT_URL } from '../broker/jsonld/builtin-contexts.js';

export type Domain = 'mobility' | 'environment' | 'water' | 'energy' | 'safety';

const DOMAIN_OF: Record<string, Domain> = {
  Vehicle: 'mobility',
  TrafficFlowObserved: 'mobility',
  CrowdFlowObserved: 'mobility',
  AirQualityObserved: 'environment',
  WeatherObserved: 'environment',
  FloodMonitoring: 'water',
  WaterConsumptionObserved: 'water',
  WaterQualityObserved: 'water',
  Streetlight: 'energy',
  FireForestStatus: 'safety',
  DeviceMeasurement: 'safety',
};

/** Entity type (short name) -> the @context URL to read it with. */
export const TYPE_CONTEXT: ReadonlyMap<string, string> = new Map(SCENARIOS.map((s) => [s.entityType, s.domain ? sdmContext(s.domain) : DEFAULT_CORE_CONTEXT_URL]));

export function domainOf(type: string): Domain | undefined {
  return DOMAIN_OF[type];
}

export const WEB_TYPES: readonly string[] = [...TYPE_CONTEXT.keys()];
