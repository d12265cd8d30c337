/**
 * Parts of the OpenAPI document that features outside the broker contribute: each feature
 * describes its own paths in src/<feature>/openapi.ts and is listed here once.
 */
import { temporalSection } from '../temporal/openapi.js';
import { ingestSection } from '../ingest/openapi.js';
import { identitySection } from '../identity/openapi.js';
import { auditSection } from '../audit/openapi.js';
import { subscriptionsSection } from '../subscriptions/openapi.js';
import { webSection } from '../web/openapi.js';

export type Json = Record<string, any>;

export interface ApiSection {
  /** Tags (name + description) the section's operations use. */
  tags: Array<{ name: string; description: string }>;
  /** Paths, keyed by their full path (e.g. /ngsi-ld/v1/temporal/entities). */
  paths: Json;
  /** Extra component schemas, referenced as #/components/schemas/<name>. */
  schemas?: Json;
  /** Extra component parameters. */
  parameters?: Json;
}

/** Every feature section, in the order their tags appear. */
export const SECTIONS: ApiSection[] = [temporalSection, ingestSection, identitySection, auditSection, subscriptionsSection, webSection];
