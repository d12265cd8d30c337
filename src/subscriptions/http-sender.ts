/**
 * Sends a notification to an http(s) endpoint: one POST, bounded by a timeout; only a 2xx answer
 * counts as delivered.
 */
import type { NotificationMessage } from './notification.js';

export async function postNotification(uri: string, msg: NotificationMessage, signal: AbortSignal): Promise<void> {
  const res = await fetch(uri, { method: 'POST', headers: msg.headers, body: JSON.stringify(msg.body), signal });
  // Read the answer to the end so the connection can be reused.
  await res.arrayBuffer();
  if (res.status < 200 || res.status > 299) throw new Error(`${uri} answered HTTP ${res.status}`);
}
