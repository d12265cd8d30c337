/**
 * SQLite implementation of the device gateway's store: service groups and devices as JSON rows,
 * in the broker's database, with the 'ingest' component's own migrations.
 */
import { alreadyExists } from '../../errors.js';
import type { Device, ServiceGroup } from '../../ingest/model.js';
import type { IngestStore } from '../../ingest/store.js';
import { migrate, type Db } from './database.js';

export const INGEST_MIGRATIONS = [
  `CREATE TABLE iot_services (apikey TEXT PRIMARY KEY, tenant TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE iot_devices (tenant TEXT NOT NULL, device_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (tenant, device_id));`,
];

export class SqliteIngestStore implements IngestStore {
  private readonly stmt;

  constructor(private readonly db: Db) {
    migrate(db, 'ingest', INGEST_MIGRATIONS);
    this.stmt = {
      services: db.prepare('SELECT data FROM iot_services ORDER BY rowid'),
      serviceExists: db.prepare('SELECT 1 FROM iot_services WHERE apikey = ?'),
      insertService: db.prepare('INSERT INTO iot_services (apikey, tenant, data) VALUES (?, ?, ?)'),
      updateService: db.prepare('UPDATE iot_services SET tenant = ?, data = ? WHERE apikey = ?'),
      deleteService: db.prepare('DELETE FROM iot_services WHERE apikey = ?'),
      devices: db.prepare('SELECT data FROM iot_devices ORDER BY rowid'),
      deviceExists: db.prepare('SELECT 1 FROM iot_devices WHERE tenant = ? AND device_id = ?'),
      insertDevice: db.prepare('INSERT INTO iot_devices (tenant, device_id, data) VALUES (?, ?, ?)'),
      updateDevice: db.prepare('UPDATE iot_devices SET data = ? WHERE tenant = ? AND device_id = ?'),
      deleteDevice: db.prepare('DELETE FROM iot_devices WHERE tenant = ? AND device_id = ?'),
    };
  }

  async listServices(): Promise<ServiceGroup[]> {
    return (this.stmt.services.all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as ServiceGroup);
  }

  async insertServices(groups: ServiceGroup[]): Promise<void> {
    this.db.transaction(() => {
      for (const g of groups) {
        if (this.stmt.serviceExists.get(g.apikey)) throw alreadyExists(`a service group with API key "${g.apikey}" already exists`, g.apikey);
        this.stmt.insertService.run(g.apikey, g.tenant, JSON.stringify(g));
      }
    })();
  }

  async updateService(group: ServiceGroup): Promise<void> {
    this.stmt.updateService.run(group.tenant, JSON.stringify(group), group.apikey);
  }

  async deleteService(apikey: string): Promise<void> {
    this.stmt.deleteService.run(apikey);
  }

  async listDevices(): Promise<Device[]> {
    return (this.stmt.devices.all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Device);
  }

  async insertDevices(devices: Device[]): Promise<void> {
    this.db.transaction(() => {
      for (const d of devices) {
        if (this.stmt.deviceExists.get(d.tenant, d.device_id)) throw alreadyExists(`device "${d.device_id}" already exists`, d.device_id);
        this.stmt.insertDevice.run(d.tenant, d.device_id, JSON.stringify(d));
      }
    })();
  }

  async updateDevice(device: Device): Promise<void> {
    this.stmt.updateDevice.run(JSON.stringify(device), device.tenant, device.device_id);
  }

  async deleteDevice(tenant: string, deviceId: string): Promise<void> {
    this.stmt.deleteDevice.run(tenant, deviceId);
  }
}
