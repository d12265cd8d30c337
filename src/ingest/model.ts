/**
 * The device gateway's model, shaped like the FIWARE IoT Agent provisioning API: service groups
 * (an API key, a tenant, a resource path, a default entity type) and devices (device id, the
 * entity they feed, and how their measures map to NGSI-LD attributes).
 */

/** How one measure of a device becomes an NGSI-LD attribute. */
export interface AttributeMapping {
  /** The measure's name in the payload (`t` in `t|21.5`); defaults to `name`. */
  object_id: string;
  /** The NGSI-LD attribute name (a term of the group's @context, or an IRI). */
  name: string;
  /** Number, Integer, Text, Boolean, DateTime, geo:point, geo:json, Relationship, Property. */
  type: string;
  /** UN/CEFACT unit code put on the attribute. */
  unitCode?: string;
  /** Arithmetic converting the measure, e.g. `t * 1.8 + 32` (measures of the message are variables). */
  expression?: string;
}

/** An attribute every entity of the group or device carries (location, category...). */
export interface StaticAttribute {
  name: string;
  type: string;
  value: unknown;
  unitCode?: string;
}

export interface ServiceGroup {
  apikey: string;
  /** The NGSI-LD tenant (fiware-service); '' is the default tenant. */
  tenant: string;
  /** fiware-servicepath, kept as given. */
  service_path: string;
  /** The resource path devices send to (e.g. /iot/ul). */
  resource: string;
  entity_type: string;
  attributes: AttributeMapping[];
  static_attributes: StaticAttribute[];
  /** Unknown devices of this group are created on their first message. */
  autoprovision: boolean;
  /** @context used to expand attribute names and types (default: the core context). */
  jsonLdContext?: string;
  /** Also write the observation time into this attribute (e.g. dateObserved). */
  observedAtAttribute?: string;
}

export interface Device {
  device_id: string;
  tenant: string;
  service_path: string;
  /** The API key the device sends with; defaults to the service group's of the tenant. */
  apikey?: string;
  entity_name: string;
  entity_type: string;
  protocol?: string;
  transport?: string;
  timezone?: string;
  attributes: AttributeMapping[];
  static_attributes: StaticAttribute[];
  jsonLdContext?: string;
  observedAtAttribute?: string;
}

/** Why a message or a measure was dropped: the counters of GET /iot/stats. */
export const REJECTION_REASONS = ['unknownApiKey', 'unknownDevice', 'malformedPayload', 'unknownAttribute', 'wrongValueType', 'writeFailed'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type Transport = 'mqtt' | 'http' | 'internal';
export type PayloadFormat = 'ul' | 'json';
