/**
 * The NGSI-LD Subscription (ETSI GS CIM 009 clause 5.2.12), its NotificationParams (5.2.14) and
 * Endpoint (5.2.15), as Urbis keeps them: members as the subscriber wrote them (terms compact, to
 * be expanded with the subscription's own @context), plus the delivery status Urbis maintains.
 */
import type { Format } from '../broker/output.js';
import type { Principal } from '../identity/principal.js';

export const NOTIFICATION_TRIGGERS = [
  'entityCreated',
  'entityUpdated',
  'entityDeleted',
  'attributeCreated',
  'attributeUpdated',
  'attributeDeleted',
] as const;
export type NotificationTrigger = (typeof NOTIFICATION_TRIGGERS)[number];

/** The spec's default when notificationTrigger is absent. */
export const DEFAULT_TRIGGERS: readonly NotificationTrigger[] = ['attributeCreated', 'attributeUpdated'];

export interface EntitySelectorSpec {
  id?: string;
  idPattern?: string;
  /** Entity type selection language (clause 4.17). */
  type?: string;
}

export interface KeyValuePair {
  key: string;
  value: string;
}

export type NotificationMedia = 'application/json' | 'application/ld+json';

export interface Endpoint {
  /** http(s)://..., mqtt(s)://host[:port]/topic, or urn:urbis:internal:<name> (in-process receivers). */
  uri: string;
  accept: NotificationMedia;
  /** Extra headers (HTTP) or metadata members (MQTT) sent with each notification. */
  receiverInfo?: KeyValuePair[];
  /** Settings of the notifier: MQTT-QoS (0, 1) and MQTT-Version (mqtt3.1.1, mqtt5.0). */
  notifierInfo?: KeyValuePair[];
}

export interface NotificationParams {
  attributes?: string[];
  format: Format;
  showChanges: boolean;
  sysAttrs: boolean;
  endpoint: Endpoint;
}

export interface GeoQSpec {
  geometry: string;
  coordinates: unknown;
  georel: string;
  geoproperty?: string;
}

export interface Subscription {
  id: string;
  type: 'Subscription';
  subscriptionName?: string;
  description?: string;
  entities?: EntitySelectorSpec[];
  watchedAttributes?: string[];
  notificationTrigger?: NotificationTrigger[];
  /** Periodic notification every timeInterval seconds (instead of on change). */
  timeInterval?: number;
  q?: string;
  geoQ?: GeoQSpec;
  scopeQ?: string;
  lang?: string;
  isActive: boolean;
  notification: NotificationParams;
  expiresAt?: string;
  /** Minimum seconds between two notifications of this subscription. */
  throttling?: number;
  /** The @context URL the subscriber named, if any. */
  jsonldContext?: string;
  createdAt: string;
  modifiedAt: string;
}

/** What Urbis records of the deliveries of one subscription (NotificationParams status members). */
export interface DeliveryStatus {
  timesSent: number;
  timesFailed: number;
  lastNotification?: string;
  lastSuccess?: string;
  lastFailure?: string;
  status?: 'ok' | 'failed';
}

/** A subscription as stored: its members, the @context its terms are read with, its deliveries. */
export interface StoredSubscription {
  tenant: string;
  subscription: Subscription;
  /** The @context value (URL, object or array); undefined for the core context alone. */
  context: unknown;
  delivery: DeliveryStatus;
  /**
   * Who created (or last changed) the subscription, when access control was on: its notifications
   * carry only what this principal may read (access.ts). Undefined: everything (open mode).
   */
  principal?: Principal;
}

/** The subscription's status member: active, paused (isActive false) or expired (expiresAt passed). */
export function subscriptionStatus(s: Subscription, now = Date.now()): 'active' | 'paused' | 'expired' {
  if (s.expiresAt !== undefined && Date.parse(s.expiresAt) <= now) return 'expired';
  return s.isActive ? 'active' : 'paused';
}

export const INTERNAL_SCHEME = 'urn:urbis:internal:';
