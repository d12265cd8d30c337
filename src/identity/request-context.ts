/**
 * The state of the request being served, kept in an AsyncLocalStorage so that code called from
 * the request without seeing it (the entity service, the store's change recorder) knows who is
 * acting: the principal, its broker access, where the request comes from and its declared purpose.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityAccess } from '../broker/store.js';
import type { Principal } from './principal.js';

/** The request header in which a caller declares the purpose of a request (recorded in the audit log). */
export const PURPOSE_HEADER = 'urbis-purpose';

export interface RequestState {
  principal: Principal;
  /** The tenant the request addresses. */
  tenant: string;
  client: string;
  purpose?: string;
  /** The caller's access to entities; undefined when access control is off. */
  access?: EntityAccess;
  /** Something this request wrote was audited in the write's own transaction. */
  audited: boolean;
  /** Restricted entities this request read (audited when it ends). */
  restrictedReads: string[];
  /** The answer has been sent: work that outlives the request (timers it started) is not its own. */
  finished?: boolean;
}

export const requests = new AsyncLocalStorage<RequestState>();

/**
 * The state of the request being served, if any. Timers and promises started by a request carry
 * its async context; once the request has been answered, what they do is no longer the request's.
 */
export function currentRequest(): RequestState | undefined {
  const s = requests.getStore();
  return s && !s.finished ? s : undefined;
}
