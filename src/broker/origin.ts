/**
 * Who makes an entity write that does not come from an API request: the device gateway, an
 * import from the command line. Set around the write with `withWriteOrigin`, read by change
 * recorders (the audit log) inside the write's transaction.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface WriteOrigin {
  /** Recorded as the actor, e.g. "iot-gateway" or "cli:alice". */
  actor: string;
  /** Recorded as the client, e.g. "device gateway" or "cli". */
  client: string;
}

const origins = new AsyncLocalStorage<WriteOrigin>();

/** Runs `fn` (and everything it starts) as writes of `origin`. */
export function withWriteOrigin<T>(origin: WriteOrigin, fn: () => T): T {
  return origins.run(origin, fn);
}

/** The origin set around the write being made, if any. */
export function currentWriteOrigin(): WriteOrigin | undefined {
  return origins.getStore();
}
