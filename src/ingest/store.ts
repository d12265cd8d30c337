/**
 * What the device gateway needs from persistence: its service groups and devices. The SQLite
 * implementation is src/store/sqlite/ingest-store.ts (same database as the broker).
 */
import type { Device, ServiceGroup } from './model.js';

export interface IngestStore {
  /** Every service group of every tenant. */
  listServices(): Promise<ServiceGroup[]>;
  /** Inserts groups in one transaction; fails (AlreadyExists) if an API key is taken. */
  insertServices(groups: ServiceGroup[]): Promise<void>;
  updateService(group: ServiceGroup): Promise<void>;
  deleteService(apikey: string): Promise<void>;
  /** Every device of every tenant. */
  listDevices(): Promise<Device[]>;
  /** Inserts devices in one transaction; fails (AlreadyExists) if a device id is taken in its tenant. */
  insertDevices(devices: Device[]): Promise<void>;
  updateDevice(device: Device): Promise<void>;
  deleteDevice(tenant: string, deviceId: string): Promise<void>;
}
