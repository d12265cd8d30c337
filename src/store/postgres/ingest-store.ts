/**
 * PostgreSQL implementation of the device gateway's store: service groups and devices as JSON
 * rows, listed in the order they were provisioned. The gateway of every node keeps them in memory,
 * so each change is announced on the bus (CHANNELS.devices) after its commit and the other
 * nodes reload theirs.
 */
import { alreadyExists } from '../../errors.js';
import type { Device, ServiceGroup } from '../../ingest/model.js';
import type { IngestStore } from '../../ingest/store.js';
import { CHANNELS, type ClusterBus } from '../../cluster/bus.js';
import type { PgDatabase } from './database.js';
import type { SchemaComponent } from './migrate.js';

export const INGEST_SCHEMA: SchemaComponent = {
  component: 'ingest',
  migrations: [
    `
    CREATE TABLE iot_services (
      apikey    text PRIMARY KEY,
      tenant    text NOT NULL,
      data      json NOT NULL,                 -- the group, as written
      position  bigserial NOT NULL             -- provisioning order
    );
    CREATE TABLE iot_devices (
      tenant     text NOT NULL,
      device_id  text NOT NULL,
      data       json NOT NULL,
      position   bigserial NOT NULL,
      PRIMARY KEY (tenant, device_id)
    );
    `,
  ],
};

export class PgIngestStore implements IngestStore {
  constructor(
    readonly db: PgDatabase,
    readonly bus: ClusterBus,
  ) {}

  /** Nothing is kept in memory here (the gateway keeps the devices and follows the bus). */
  async init(): Promise<void> {}

  private changed(): void {
    this.bus.publish(CHANNELS.devices, {});
  }

  async listServices(): Promise<ServiceGroup[]> {
    return (await this.db.query<{ data: ServiceGroup }>('SELECT data FROM iot_services ORDER BY position')).map((r) => r.data);
  }

  async insertServices(groups: ServiceGroup[]): Promise<void> {
    if (groups.length === 0) return;
    // One statement; an API key already taken (by another node meanwhile, say) inserts nothing.
    await this.db.transaction(async (tx) => {
      const inserted = await tx.query<{ apikey: string }>(
        `INSERT INTO iot_services (apikey, tenant, data)
         SELECT k, t, d::json FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS g(k, t, d, i) ORDER BY i
         ON CONFLICT (apikey) DO NOTHING RETURNING apikey`,
        [groups.map((g) => g.apikey), groups.map((g) => g.tenant), groups.map((g) => JSON.stringify(g))],
      );
      if (inserted.length < groups.length) {
        const done = new Set(inserted.map((r) => r.apikey));
        const taken = groups.find((g) => !done.has(g.apikey))!;
        throw alreadyExists(`a service group with API key "${taken.apikey}" already exists`, taken.apikey);
      }
    });
    this.changed();
  }

  async updateService(group: ServiceGroup): Promise<void> {
    await this.db.query('UPDATE iot_services SET tenant = $1, data = $2 WHERE apikey = $3', [group.tenant, JSON.stringify(group), group.apikey]);
    this.changed();
  }

  async deleteService(apikey: string): Promise<void> {
    await this.db.query('DELETE FROM iot_services WHERE apikey = $1', [apikey]);
    this.changed();
  }

  async listDevices(): Promise<Device[]> {
    return (await this.db.query<{ data: Device }>('SELECT data FROM iot_devices ORDER BY position')).map((r) => r.data);
  }

  async insertDevices(devices: Device[]): Promise<void> {
    if (devices.length === 0) return;
    await this.db.transaction(async (tx) => {
      const inserted = await tx.query<{ device_id: string }>(
        `INSERT INTO iot_devices (tenant, device_id, data)
         SELECT t, id, d::json FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS g(t, id, d, i) ORDER BY i
         ON CONFLICT (tenant, device_id) DO NOTHING RETURNING device_id`,
        [devices.map((d) => d.tenant), devices.map((d) => d.device_id), devices.map((d) => JSON.stringify(d))],
      );
      if (inserted.length < devices.length) {
        const done = new Set(inserted.map((r) => r.device_id));
        const taken = devices.find((d) => !done.has(d.device_id))!;
        throw alreadyExists(`device "${taken.device_id}" already exists`, taken.device_id);
      }
    });
    this.changed();
  }

  async updateDevice(device: Device): Promise<void> {
    await this.db.query('UPDATE iot_devices SET data = $1 WHERE tenant = $2 AND device_id = $3', [JSON.stringify(device), device.tenant, device.device_id]);
    this.changed();
  }

  async deleteDevice(tenant: string, deviceId: string): Promise<void> {
    await this.db.query('DELETE FROM iot_devices WHERE tenant = $1 AND device_id = $2', [tenant, deviceId]);
    this.changed();
  }
}
