/**
 * What both history stores name alike: the instanceId scheme (urn:ngsi-ld:AttributeInstance:<n>,
 * kept across an export and import) and the column of each temporal property.
 */
import type { TimeProperty } from '../temporal/store.js';

export const INSTANCE_PREFIX = 'urn:ngsi-ld:AttributeInstance:';

export const COLUMN: Record<TimeProperty, string> = {
  observedAt: 'observed_at',
  createdAt: 'created_at',
  modifiedAt: 'modified_at',
  deletedAt: 'deleted_at',
};
