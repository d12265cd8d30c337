/**
 * Restores an archive (format.ts) into EMPTY stores: first reads the whole file to check it
 * (nothing is written from a damaged or truncated archive), then writes it section by section in
 * batches, and finally checks the audit chain it rebuilt against the one archived. Works from any
 * store to any store (SQLite → PostgreSQL is the usual move).
 */
import type { Entity } from '../../broker/model.js';
import type { Account, ApiKey } from '../../identity/store.js';
import type { Policy } from '../../identity/policy.js';
import type { AuditRecord } from '../../audit/chain.js';
import type { ServiceGroup, Device } from '../../ingest/model.js';
import type { StoredSubscription } from '../../subscriptions/model.js';
import type { StoredContext } from '../../broker/store.js';
import type { RestoredInstance, TemporalEntity } from '../../temporal/store.js';
import type { Stores } from '../stores.js';
import { ArchiveError, readArchive, verifyArchive, type ArchiveRecord, type ArchiveTrailer } from './format.js';

const BATCH = 500;

export interface RestoreProgress {
  /** The checking pass read `records` so far. */
  checking(records: number): void;
  /** The writing pass wrote `records` of `total`. */
  writing(records: number, total: number): void;
}

/** Throws ArchiveError when the stores already hold data (an archive is restored into a new database). */
async function requireEmpty(stores: Stores): Promise<void> {
  const held: string[] = [];
  if ((await stores.broker.tenants()).length > 0) held.push('entities');
  if ((await stores.temporal.tenants()).length > 0) held.push('history');
  if ((await stores.subscriptions.all()).length > 0) held.push('subscriptions');
  if ((await stores.identity.countAccounts()) > 0) held.push('accounts');
  if ((await stores.audit.head()) !== undefined) held.push('an audit log');
  if ((await stores.ingest.listServices()).length > 0 || (await stores.ingest.listDevices()).length > 0) held.push('devices');
  if (held.length > 0) throw new ArchiveError(`the target database is not empty (it has ${held.join(', ')}): restore into a new database (urbis migrate creates its schema)`);
}

export async function restoreInstance(stores: Stores, file: string, progress: RestoreProgress): Promise<ArchiveTrailer> {
  const { trailer } = await verifyArchive(file, (n) => progress.checking(n));
  await requireEmpty(stores);
  const total = Object.values(trailer.counts).reduce((a, b) => a + (b ?? 0), 0);
  let done = 0;

  // Records of one kind are written in batches; a batch is written when full or when the kind changes.
  let entities: { tenant: string; list: Entity[] } | undefined;
  let audit: AuditRecord[] = [];
  let lastAudit: AuditRecord | undefined;
  const temporal = new Map<string, Omit<TemporalEntity, 'pk'>>();
  const flushEntities = async () => {
    if (entities && entities.list.length > 0) await stores.broker.restoreEntities(entities.tenant, entities.list);
    entities = undefined;
  };
  const flushAudit = async () => {
    if (audit.length === 0) return;
    stores.audit.append(audit.map(({ seq: _s, prevHash: _p, hash: _h, ...entry }) => entry));
    audit = [];
  };

  for await (const { value } of readArchive(file)) {
    if ((value as ArchiveTrailer).end === true) break;
    const r = value as ArchiveRecord;
    if (r.section !== 'entity') await flushEntities();
    if (r.section !== 'audit') await flushAudit();
    switch (r.section) {
      case 'tenant':
        break;
      case 'context':
        await stores.broker.saveContext(r.tenant as string, r.context as StoredContext);
        break;
      case 'entity': {
        const tenant = r.tenant as string;
        if (entities && entities.tenant !== tenant) await flushEntities();
        entities ??= { tenant, list: [] };
        entities.list.push(r.entity as Entity);
        if (entities.list.length >= BATCH) await flushEntities();
        break;
      }
      case 'temporalEntity': {
        const e = r.entity as Omit<TemporalEntity, 'pk'>;
        temporal.set(`${r.tenant as string}\u0000${e.id}`, e);
        await stores.temporal.restoreEntity(r.tenant as string, e, []);
        break;
      }
      case 'temporalInstances': {
        const e = temporal.get(`${r.tenant as string}\u0000${r.id as string}`);
        if (!e) throw new ArchiveError(`${file}: instances of ${String(r.id)} come before their temporal entity`);
        await stores.temporal.restoreEntity(r.tenant as string, e, r.instances as RestoredInstance[]);
        break;
      }
      case 'subscription': {
        const { section: _s, ...stored } = r;
        await stores.subscriptions.insert(stored as unknown as StoredSubscription);
        break;
      }
      case 'queue':
        await stores.subscriptions.enqueue((r.items as unknown[]).map((data) => ({ tenant: r.tenant as string, subscriptionId: r.id as string, data })));
        break;
      case 'account':
        await stores.identity.createAccount(r.account as Account);
        break;
      case 'apiKey':
        await stores.identity.createKey(r.key as ApiKey);
        break;
      case 'policy':
        await stores.identity.savePolicy(r.tenant as string, r.policy as Policy, () => {});
        break;
      case 'audit':
        lastAudit = r.record as AuditRecord;
        audit.push(lastAudit);
        if (audit.length >= BATCH) await flushAudit();
        break;
      case 'service':
        await stores.ingest.insertServices([r.service as ServiceGroup]);
        break;
      case 'device':
        await stores.ingest.insertDevices([r.device as Device]);
        break;
    }
    progress.writing(++done, total);
  }
  await flushEntities();
  await flushAudit();
  // The chain is rebuilt from the same records in the same order: it must end on the same hash.
  const head = await stores.audit.head();
  if (lastAudit && (head?.seq !== lastAudit.seq || head.hash !== lastAudit.hash)) {
    throw new ArchiveError(`the audit log restored does not end like the archived one (record ${head?.seq ?? 0}, ${lastAudit.seq} expected): the archive's audit records are not a whole chain from its start`);
  }
  return trailer;
}
