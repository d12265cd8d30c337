/**
 * Writes a whole instance from its stores into an archive (format.ts), section by section, a
 * page at a time (memory stays flat whatever the size). Run it with the nodes stopped for an exact
 * snapshot: records written while it runs may or may not be in the archive. Notification queues
 * are carried; changes not yet matched against subscriptions (the outbox) are matched when a node
 * starts, so stop the nodes only after they have been idle for a moment.
 */
import type { Stores } from '../stores.js';
import { ArchiveWriter, type ArchiveRecord, type ArchiveTrailer } from './format.js';
import { VERSION } from '../../version.js';

const PAGE = 500;

export interface ExportResult {
  trailer: ArchiveTrailer;
  /** Things the archive does not carry, for the operator. */
  warnings: string[];
}

export async function exportInstance(stores: Stores, file: string, onRecord: (written: number, section: string) => void = () => {}): Promise<ExportResult> {
  const out = new ArchiveWriter(file, { createdAt: new Date().toISOString(), source: { store: stores.kind, urbis: VERSION } });
  let written = 0;
  const write = async (record: ArchiveRecord) => {
    await out.write(record);
    onRecord(++written, record.section);
  };
  const warnings: string[] = [];

  const tenants = [...new Set([...(await stores.broker.tenants()), ...(await stores.temporal.tenants())])].sort();
  for (const name of tenants) await write({ section: 'tenant', name });
  for (const tenant of tenants) {
    for (const context of await stores.broker.listContexts(tenant)) await write({ section: 'context', tenant, context });
  }
  const all = (t: string) => t;
  for (const tenant of tenants) {
    for (let offset = 0; ; offset += PAGE) {
      const page = await stores.broker.queryEntities(tenant, { expand: all, limit: PAGE, offset, count: false });
      for (const entity of page.entities) await write({ section: 'entity', tenant, entity });
      if (page.entities.length < PAGE) break;
    }
  }
  for (const tenant of tenants) {
    for (let offset = 0; ; offset += PAGE) {
      const page = await stores.temporal.queryEntities(tenant, { expand: all, time: { property: 'createdAt' } }, PAGE, offset, false);
      for (const { pk, ...entity } of page.entities) {
        await write({ section: 'temporalEntity', tenant, entity });
        let cursor: string | undefined;
        do {
          const chunk = await stores.temporal.exportInstances(pk, cursor, 2 * PAGE);
          if (chunk.instances.length > 0) await write({ section: 'temporalInstances', tenant, id: entity.id, instances: chunk.instances });
          cursor = chunk.cursor;
        } while (cursor !== undefined);
      }
      if (page.entities.length < PAGE) break;
    }
  }
  for (const s of await stores.subscriptions.all()) {
    await write({ section: 'subscription', ...s });
    const items = await stores.subscriptions.readQueue(s.tenant, s.subscription.id, Number.MAX_SAFE_INTEGER);
    if (items.length > 0) await write({ section: 'queue', tenant: s.tenant, id: s.subscription.id, items: items.map((i) => i.data) });
  }
  for (const account of await stores.identity.listAccounts()) await write({ section: 'account', account });
  for (const key of await stores.identity.listKeys()) await write({ section: 'apiKey', key });
  for (const [tenant, policy] of await stores.identity.listPolicies()) await write({ section: 'policy', tenant, policy });
  for (let after = 0; ; ) {
    const page = await stores.audit.page(after, 2 * PAGE);
    for (const record of page) await write({ section: 'audit', record });
    if (page.length === 0) break;
    after = page[page.length - 1].seq;
  }
  for (const service of await stores.ingest.listServices()) await write({ section: 'service', service });
  for (const device of await stores.ingest.listDevices()) await write({ section: 'device', device });
  warnings.push('sign-in sessions are not carried: people sign in again after the move');
  return { trailer: await out.finish(), warnings };
}
