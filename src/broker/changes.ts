/**
 * What one committed write did to one entity. The store reports a change for every entity a write
 * touches, inside the write's transaction (to recorders: history, the notification outbox) and
 * after commit (to listeners: wake-ups, live views). Names are expanded IRIs.
 */
import type { AttrInstance, Entity } from './model.js';

export type AttributeChangeKind = 'created' | 'updated' | 'deleted';

/** One attribute instance (name + datasetId) that a write created, updated or deleted. */
export interface AttributeChange {
  name: string;
  datasetId?: string;
  kind: AttributeChangeKind;
  /** The instance before the write (updated, deleted). */
  previous?: AttrInstance;
  /** The instance after the write (created, updated). */
  current?: AttrInstance;
}

export interface EntityChange {
  tenant: string;
  id: string;
  /** created: the entity did not exist; deleted: it no longer exists; updated: anything else. */
  op: 'created' | 'updated' | 'deleted';
  /** The entity before the write (undefined when created). */
  before?: Entity;
  /** The entity after the write (undefined when deleted). */
  after?: Entity;
  /** Attribute instances that changed; an instance written with identical content is not listed. */
  attributes: AttributeChange[];
  /** When the change happened (ISO 8601): the entity's modifiedAt, or the time of deletion. */
  at: string;
}

/**
 * Runs inside the transaction of the write that caused the change: whatever it writes commits
 * with the change or not at all. It must be synchronous and fast, and may throw to abort the write.
 * It may run more than once for one change (a store may roll a group of writes back and apply it
 * again), so it must have no effect outside the transaction.
 */
export type ChangeRecorder = (change: EntityChange) => void;

/** Runs after the transaction committed, with the changes it made (in order). Must not throw. */
export type CommitListener = (changes: readonly EntityChange[]) => void;

/** Every attribute instance of an entity as a change of `kind` (creation or deletion of the entity). */
export function allAttributes(e: Entity, kind: 'created' | 'deleted'): AttributeChange[] {
  const out: AttributeChange[] = [];
  for (const [name, list] of Object.entries(e.attrs)) {
    for (const inst of list) {
      const c: AttributeChange = { name, kind };
      if (inst.datasetId !== undefined) c.datasetId = inst.datasetId;
      if (kind === 'created') c.current = inst;
      else c.previous = inst;
      out.push(c);
    }
  }
  return out;
}
