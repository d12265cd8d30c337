/**
 * The device gateway's logic (no HTTP, no SQL): provisioning of service groups and devices, and
 * ingestion of measures. A message (UltraLight or JSON, from MQTT, HTTP or the simulator) is
 * parsed, its device found by API key and device id, each measure mapped to an NGSI-LD attribute
 * (type check, expression, unitCode, observedAt) and the entity updated through the broker's own
 * store path (so history and subscriptions see every measure), batched with other messages
 * arriving within a few milliseconds into one transaction.
 */
import type { FastifyBaseLogger } from 'fastify';
import { NgsiError, alreadyExists, badRequest, notFound, toNgsiError } from '../errors.js';
import { expandAttributeName, parseAttribute, parseTypes, type EntityFragment } from '../broker/input.js';
import type { CompiledContext } from '../broker/jsonld/compiled-context.js';
import type { ContextResolver } from '../broker/jsonld/context-resolver.js';
import type { AttrInstance } from '../broker/model.js';
import * as m from '../broker/mutations.js';
import type { BatchItem, BrokerStore, EntityMutator } from '../broker/store.js';
import { WriteBatcher } from './batcher.js';
import { compileExpression, evaluate, ExpressionError, type Expr } from './expression.js';
import type { AttributeMapping, Device, PayloadFormat, RejectionReason, ServiceGroup, StaticAttribute, Transport } from './model.js';
import { MalformedPayload, parseJsonPayload, parseUltraLight, type MeasureGroup } from './payload.js';
import { entityIdOf, readDevice, readMappings, readServiceGroup, readStatics } from './provisioning.js';
import { IngestStats } from './stats.js';
import type { IngestStore } from './store.js';
import { CHANNELS, type ClusterBus } from '../cluster/bus.js';
import { follow, type Following } from '../cluster/follow.js';
import { convertValue, kindOf, numericValue, WrongValueType } from './values.js';

export interface IngestMessage {
  transport: Transport;
  format: PayloadFormat;
  apikey: string;
  deviceId: string;
  payload: string;
  /** MQTT `/<apikey>/<deviceId>/attrs/<name>`: the payload is the raw value of this one measure. */
  attribute?: string;
}

export interface IngestResult {
  entityId: string;
  /** NGSI-LD attribute names written (as mapped, compact). */
  updated: string[];
  /** Measures dropped, with their reasons. */
  dropped: Array<{ measure: string; reason: RejectionReason; detail: string }>;
}

/** A message the gateway refused as a whole. */
export class IngestError extends Error {
  constructor(
    readonly reason: RejectionReason,
    readonly error: NgsiError,
  ) {
    super(error.detail);
  }
}

interface MappingPlan {
  mapping: AttributeMapping;
  expanded: string;
  expr?: Expr;
}

/** Everything needed to turn a device's measures into attributes, prepared once. */
interface DevicePlan {
  tenant: string;
  entityId: string;
  types: string[];
  ctx: CompiledContext;
  mappings: Map<string, MappingPlan>;
  statics: Record<string, AttrInstance[]>;
  observedAtAttribute?: string;
  /** Measures without a mapping are passed through as Properties (autoprovision groups). */
  passThrough: boolean;
}

const deviceKey = (tenant: string, id: string) => `${tenant}\u0000${id}`;

export interface GatewayOptions {
  store: IngestStore;
  broker: BrokerStore;
  resolver: ContextResolver;
  log: FastifyBaseLogger;
  /** Batching window of entity writes, in ms. */
  batchWindowMs?: number;
}

export class Gateway {
  readonly stats = new IngestStats();
  private readonly services = new Map<string, ServiceGroup>();
  private readonly devices = new Map<string, Device>();
  private readonly plans = new Map<string, Promise<DevicePlan>>();
  /** Counts this node's own provisioning changes, so that a reload never undoes one it did not see. */
  private changes = 0;
  private readonly batcher: WriteBatcher;
  private readonly store: IngestStore;
  private readonly resolver: ContextResolver;
  private readonly log: FastifyBaseLogger;

  constructor(opts: GatewayOptions) {
    this.store = opts.store;
    this.resolver = opts.resolver;
    this.log = opts.log;
    this.batcher = new WriteBatcher(opts.broker, opts.batchWindowMs ?? 5);
  }

  /** Loads the provisioned groups and devices (at start; again when another node changed them). */
  async load(): Promise<void> {
    for (;;) {
      const seen = this.changes;
      const [services, devices] = await Promise.all([this.store.listServices(), this.store.listDevices()]);
      if (seen !== this.changes) continue;
      this.services.clear();
      for (const g of services) this.services.set(g.apikey, g);
      this.devices.clear();
      for (const d of devices) this.devices.set(deviceKey(d.tenant, d.device_id), d);
      this.plans.clear();
      return;
    }
  }

  /** Reloads the groups and devices whenever another node provisions. */
  follow(bus: ClusterBus, onError: (err: unknown) => void): Following {
    return follow(bus, CHANNELS.devices, () => this.load(), onError);
  }

  statsSnapshot() {
    return this.stats.snapshot({ transactions: this.batcher.transactions, entityWrites: this.batcher.entityWrites });
  }

  async close(): Promise<void> {
    await this.batcher.drain();
  }

  // ---- Service groups ----

  async createServices(tenant: string, servicePath: string, body: unknown): Promise<ServiceGroup[]> {
    const list = listOf(body, 'services');
    const groups = list.map((s, i) => readServiceGroup(s, `services[${i}]`, tenant, servicePath));
    const keys = new Set<string>();
    for (const g of groups) {
      if (this.services.has(g.apikey) || keys.has(g.apikey)) throw alreadyExists(`a service group with API key "${g.apikey}" already exists`, g.apikey);
      keys.add(g.apikey);
      await this.contextFor(g.jsonLdContext, tenant);
    }
    await this.store.insertServices(groups);
    for (const g of groups) this.services.set(g.apikey, g);
    this.changes++;
    this.plans.clear();
    return groups;
  }

  listServices(tenant: string, servicePath: string | undefined): ServiceGroup[] {
    return [...this.services.values()].filter((g) => g.tenant === tenant && (servicePath === undefined || g.service_path === servicePath));
  }

  /** The group with this API key in the tenant (and resource, when given). */
  getService(tenant: string, apikey: string, resource: string | undefined): ServiceGroup {
    const g = this.services.get(apikey);
    if (!g || g.tenant !== tenant || (resource !== undefined && g.resource !== resource)) {
      throw notFound(`no service group with API key "${apikey}"${resource !== undefined ? ` and resource ${resource}` : ''} in this tenant`, apikey);
    }
    return g;
  }

  async updateService(tenant: string, apikey: string, resource: string | undefined, body: unknown): Promise<void> {
    const g = this.getService(tenant, apikey, resource);
    const patch = requirePatch(body);
    if (patch.apikey !== undefined && patch.apikey !== apikey) throw badRequest('the API key of a service group cannot change');
    const next = readServiceGroup({ ...g, ...patch, apikey }, 'service group', tenant, g.service_path);
    await this.contextFor(next.jsonLdContext, tenant);
    await this.store.updateService(next);
    this.services.set(apikey, next);
    this.changes++;
    this.plans.clear();
  }

  async deleteService(tenant: string, apikey: string, resource: string | undefined): Promise<void> {
    this.getService(tenant, apikey, resource);
    await this.store.deleteService(apikey);
    this.services.delete(apikey);
    this.changes++;
    this.plans.clear();
  }

  // ---- Devices ----

  /** Provisions devices and creates (or completes) their entities with the static attributes. */
  async createDevices(tenant: string, servicePath: string, body: unknown): Promise<Device[]> {
    const list = listOf(body, 'devices');
    const ids = new Set<string>();
    const devices = list.map((v, i) => {
      const d = readDevice(v, `devices[${i}]`, tenant, servicePath);
      if (this.devices.has(deviceKey(tenant, d.device_id)) || ids.has(d.device_id)) throw alreadyExists(`device "${d.device_id}" already exists`, d.device_id);
      ids.add(d.device_id);
      return this.completeDevice(d, `devices[${i}]`);
    });
    // Every plan (contexts, names, static values) is checked before anything is written.
    const plans = await Promise.all(devices.map((d) => this.buildPlan(d, this.groupOf(d))));
    await this.store.insertDevices(devices);
    for (const d of devices) this.devices.set(deviceKey(tenant, d.device_id), d);
    this.changes++;
    await this.writeStatics(tenant, plans);
    return devices;
  }

  listDevices(tenant: string, servicePath: string | undefined): Device[] {
    return [...this.devices.values()].filter((d) => d.tenant === tenant && (servicePath === undefined || d.service_path === servicePath));
  }

  getDevice(tenant: string, deviceId: string): Device {
    const d = this.devices.get(deviceKey(tenant, deviceId));
    if (!d) throw notFound(`no device "${deviceId}" in this tenant`, deviceId);
    return d;
  }

  async updateDevice(tenant: string, deviceId: string, body: unknown): Promise<void> {
    const d = this.getDevice(tenant, deviceId);
    const patch = requirePatch(body);
    if (patch.device_id !== undefined && patch.device_id !== deviceId) throw badRequest('the device_id of a device cannot change');
    const next = this.completeDevice(readDevice({ ...d, ...patch, device_id: deviceId }, 'device', tenant, d.service_path), 'device');
    const plan = await this.buildPlan(next, this.groupOf(next));
    await this.store.updateDevice(next);
    this.devices.set(deviceKey(tenant, deviceId), next);
    this.changes++;
    this.plans.clear();
    await this.writeStatics(tenant, [plan]);
  }

  async deleteDevice(tenant: string, deviceId: string): Promise<void> {
    this.getDevice(tenant, deviceId);
    await this.store.deleteDevice(tenant, deviceId);
    this.devices.delete(deviceKey(tenant, deviceId));
    this.changes++;
    this.plans.clear();
  }

  // ---- Ingestion ----

  /** Takes one message in. Resolves once its updates are committed; rejects with an IngestError. */
  async ingest(msg: IngestMessage): Promise<IngestResult> {
    this.stats.received[msg.transport]++;
    const reject = (reason: RejectionReason, error: NgsiError): never => {
      this.stats.messagesRejected++;
      this.stats.reject({ reason, detail: error.detail, transport: msg.transport, apikey: msg.apikey, deviceId: msg.deviceId });
      this.log.warn({ reason, apikey: msg.apikey, deviceId: msg.deviceId, transport: msg.transport, detail: error.detail }, 'measure message dropped');
      throw new IngestError(reason, error);
    };
    const group = this.services.get(msg.apikey);
    if (!group) return reject('unknownApiKey', notFound(`no service group has the API key "${msg.apikey}"`, msg.apikey));
    let device = this.devices.get(deviceKey(group.tenant, msg.deviceId));
    if (device?.apikey !== undefined && device.apikey !== msg.apikey) device = undefined;
    if (!device) {
      if (!group.autoprovision) return reject('unknownDevice', notFound(`no device "${msg.deviceId}" is provisioned for the API key "${msg.apikey}"`, msg.deviceId));
      device = await this.autoprovision(group, msg.deviceId);
    }
    let groups: MeasureGroup[];
    try {
      groups =
        msg.attribute !== undefined
          ? [{ measures: new Map([[msg.attribute, msg.format === 'json' ? parseJsonValue(msg.payload) : msg.payload.trim()]]) }]
          : msg.format === 'ul'
            ? parseUltraLight(msg.payload)
            : parseJsonPayload(msg.payload);
    } catch (err) {
      if (err instanceof MalformedPayload) return reject('malformedPayload', badRequest(err.message));
      throw err;
    }
    const plan = await this.planFor(group, device);
    const received = new Date().toISOString();
    const result: IngestResult = { entityId: plan.entityId, updated: [], dropped: [] };
    const items: Array<BatchItem<unknown>> = [];
    for (const g of groups) {
      const attrs = this.mapMeasures(plan, g, g.timestamp ?? received, result, msg);
      if (Object.keys(attrs).length > 0) items.push({ id: plan.entityId, mutate: createOrAppend(plan, attrs, received) });
    }
    if (items.length === 0) {
      this.stats.messagesRejected++;
      const detail = `no measure of the message could be used: ${result.dropped.map((d) => `${d.measure}: ${d.detail}`).join('; ')}`;
      throw new IngestError(result.dropped[0]?.reason ?? 'malformedPayload', badRequest(detail, msg.deviceId));
    }
    const outcomes = await Promise.all(items.map((it) => this.batcher.write(plan.tenant, it)));
    const failed = outcomes.find((o) => !o.ok);
    if (failed && !failed.ok) {
      return reject('writeFailed', toNgsiError(failed.error));
    }
    this.stats.messagesAccepted++;
    return result;
  }

  private mapMeasures(plan: DevicePlan, g: MeasureGroup, observedAt: string, result: IngestResult, msg: IngestMessage): Record<string, AttrInstance[]> {
    const attrs: Record<string, AttrInstance[]> = {};
    const text = msg.format === 'ul';
    const vars = (name: string) => numericValue(g.measures.get(name));
    const drop = (measure: string, reason: RejectionReason, detail: string) => {
      this.stats.measuresDropped++;
      this.stats.reject({ reason, detail: `${measure}: ${detail}`, transport: msg.transport, apikey: msg.apikey, deviceId: msg.deviceId });
      this.log.warn({ reason, apikey: msg.apikey, deviceId: msg.deviceId, measure, detail }, 'measure dropped');
      result.dropped.push({ measure, reason, detail });
    };
    for (const [measure, raw] of g.measures) {
      let p = plan.mappings.get(measure);
      if (!p) {
        if (!plan.passThrough) {
          drop(measure, 'unknownAttribute', `the device has no attribute mapped from "${measure}"`);
          continue;
        }
        try {
          p = { mapping: { object_id: measure, name: measure, type: 'Property' }, expanded: expandAttributeName(measure, plan.ctx) };
        } catch (err) {
          drop(measure, 'unknownAttribute', toNgsiError(err).detail);
          continue;
        }
      }
      try {
        let value = convertValue(raw, p.mapping.type, text);
        if (p.expr) value = evaluate(p.expr, (name) => (name === measure && typeof value === 'number' ? value : vars(name)));
        if (p.mapping.type === 'Integer' && p.expr) value = Math.round(value as number);
        const kind = kindOf(p.mapping.type);
        const normalized: Record<string, unknown> = kind === 'Relationship' ? { type: kind, object: value } : { type: kind, value };
        normalized.observedAt = observedAt;
        if (p.mapping.unitCode) normalized.unitCode = p.mapping.unitCode;
        attrs[p.expanded] = parseAttribute(p.mapping.name, p.expanded, normalized, plan.ctx);
        this.stats.measuresAccepted++;
        if (!result.updated.includes(p.mapping.name)) result.updated.push(p.mapping.name);
      } catch (err) {
        if (err instanceof WrongValueType || err instanceof ExpressionError) drop(measure, 'wrongValueType', err.message);
        else drop(measure, 'wrongValueType', toNgsiError(err).detail);
      }
    }
    if (plan.observedAtAttribute && Object.keys(attrs).length > 0) {
      attrs[plan.observedAtAttribute] = [{ type: 'Property', value: observedAt }];
    }
    return attrs;
  }

  // ---- Plans ----

  private groupOf(d: Device): ServiceGroup | undefined {
    if (d.apikey !== undefined) return this.services.get(d.apikey);
    const inTenant = this.listServices(d.tenant, d.service_path);
    return inTenant.length === 1 ? inTenant[0] : undefined;
  }

  /** Fills entity_type (from the group) and entity_name. */
  private completeDevice(d: Device & { entity_type: string | undefined }, where: string): Device {
    if (d.apikey !== undefined) {
      const g = this.services.get(d.apikey);
      if (!g || g.tenant !== d.tenant) throw badRequest(`${where}: no service group with API key "${d.apikey}" in this tenant`);
    }
    const type = d.entity_type ?? this.groupOf(d)?.entity_type;
    if (!type) throw badRequest(`${where}: entity_type is required (no single service group of the tenant gives one)`);
    return { ...d, entity_type: type, entity_name: entityIdOf(d.entity_name, type, d.device_id) };
  }

  private async autoprovision(group: ServiceGroup, deviceId: string): Promise<Device> {
    const d = this.completeDevice(readDevice({ device_id: deviceId, apikey: group.apikey }, 'device', group.tenant, group.service_path), 'device');
    const plan = await this.buildPlan(d, group);
    try {
      await this.store.insertDevices([d]);
    } catch (err) {
      // Provisioned meanwhile (by another message of the device, or another node): that one it is.
      if (!(err instanceof NgsiError && err.errorType === 'AlreadyExists')) throw err;
      await this.load();
      const existing = this.devices.get(deviceKey(d.tenant, d.device_id));
      if (!existing) throw err;
      return existing;
    }
    this.devices.set(deviceKey(d.tenant, d.device_id), d);
    this.changes++;
    await this.writeStatics(d.tenant, [plan]);
    return d;
  }

  private planFor(group: ServiceGroup, device: Device): Promise<DevicePlan> {
    const key = `${group.apikey}\u0000${device.tenant}\u0000${device.device_id}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.buildPlan(device, device.apikey !== undefined ? this.services.get(device.apikey) : group);
      this.plans.set(key, plan);
      plan.catch(() => this.plans.delete(key));
    }
    return plan;
  }

  private async contextFor(url: string | undefined, tenant: string): Promise<CompiledContext> {
    return this.resolver.compile(url, tenant);
  }

  private async buildPlan(d: Device, group: ServiceGroup | undefined): Promise<DevicePlan> {
    const ctx = await this.contextFor(d.jsonLdContext ?? group?.jsonLdContext, d.tenant);
    const mappings = new Map<string, MappingPlan>();
    for (const mapping of [...(group?.attributes ?? []), ...d.attributes]) {
      const p: MappingPlan = { mapping, expanded: expandAttributeName(mapping.name, ctx) };
      if (mapping.expression) p.expr = compileExpression(mapping.expression);
      mappings.set(mapping.object_id, p);
    }
    const statics: Record<string, AttrInstance[]> = {};
    for (const s of [...(group?.static_attributes ?? []), ...d.static_attributes]) {
      const expanded = expandAttributeName(s.name, ctx);
      statics[expanded] = parseAttribute(s.name, expanded, staticToNormalized(s), ctx);
    }
    const oa = d.observedAtAttribute ?? group?.observedAtAttribute;
    return {
      tenant: d.tenant,
      entityId: d.entity_name,
      types: parseTypes(d.entity_type, ctx, 'entity_type'),
      ctx,
      mappings,
      statics,
      observedAtAttribute: oa ? expandAttributeName(oa, ctx) : undefined,
      passThrough: group?.autoprovision ?? false,
    };
  }

  /** Creates the entities of new devices (or adds the static attributes to existing ones), in one transaction. */
  private async writeStatics(tenant: string, plans: DevicePlan[]): Promise<void> {
    const now = new Date().toISOString();
    const items = plans.map((p) => ({ id: p.entityId, mutate: createOrAppend(p, p.statics, now) }));
    for (let i = 0; i < items.length; i += 1000) {
      const outcomes = await Promise.all(items.slice(i, i + 1000).map((it) => this.batcher.write(tenant, it)));
      const failed = outcomes.find((o) => !o.ok);
      if (failed && !failed.ok) throw toNgsiError(failed.error);
    }
  }
}

/** Creates the entity with the static attributes when it does not exist, else appends `attrs`. */
function createOrAppend(plan: DevicePlan, attrs: Record<string, AttrInstance[]>, now: string): EntityMutator<unknown> {
  return (current) => {
    if (current) {
      if (Object.keys(attrs).length === 0) return { next: undefined, result: undefined };
      const f: EntityFragment = { id: plan.entityId, attrs };
      return m.appendAttrs(f, false, now)(current);
    }
    const f: EntityFragment = { id: plan.entityId, types: plan.types, attrs: { ...plan.statics, ...attrs } };
    return m.createEntity(f, now)(undefined);
  };
}

function staticToNormalized(s: StaticAttribute): Record<string, unknown> {
  const kind = kindOf(s.type);
  const value = s.type === 'Property' || s.type === 'StructuredValue' ? s.value : convertValue(s.value, s.type, typeof s.value === 'string' && s.type !== 'Text');
  const out: Record<string, unknown> = kind === 'Relationship' ? { type: kind, object: value } : { type: kind, value };
  if (s.unitCode) out.unitCode = s.unitCode;
  return out;
}

function parseJsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
}

function listOf(body: unknown, key: 'services' | 'devices'): unknown[] {
  const list = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(list) || list.length === 0) throw badRequest(`the body must be {"${key}": [ ... ]} with at least one item`);
  return list;
}

function requirePatch(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object of the fields to change');
  const patch = { ...(body as Record<string, unknown>) };
  // Validate the parts that are replaced wholesale early, for clearer errors.
  if (patch.attributes !== undefined) readMappings(patch.attributes, 'body');
  if (patch.static_attributes !== undefined) readStatics(patch.static_attributes, 'body');
  return patch;
}
