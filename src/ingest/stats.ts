/**
 * The gateway's counters, served at GET /iot/stats: messages by transport, measures accepted and
 * dropped, rejections by reason, store writes, and the most recent rejections with their reasons.
 */
import { REJECTION_REASONS, type RejectionReason, type Transport } from './model.js';

export interface Rejection {
  at: string;
  reason: RejectionReason;
  detail: string;
  transport: Transport;
  apikey?: string;
  deviceId?: string;
}

const RECENT = 50;

export class IngestStats {
  readonly since = new Date().toISOString();
  received: Record<Transport, number> = { mqtt: 0, http: 0, internal: 0 };
  messagesAccepted = 0;
  messagesRejected = 0;
  measuresAccepted = 0;
  measuresDropped = 0;
  rejected = Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>;
  private readonly recent: Rejection[] = [];

  reject(r: Omit<Rejection, 'at'>): void {
    this.rejected[r.reason]++;
    this.recent.push({ at: new Date().toISOString(), ...r });
    if (this.recent.length > RECENT) this.recent.shift();
  }

  snapshot(writes: { transactions: number; entityWrites: number }) {
    return {
      since: this.since,
      messages: {
        received: this.received.mqtt + this.received.http + this.received.internal,
        accepted: this.messagesAccepted,
        rejected: this.messagesRejected,
        byTransport: { ...this.received },
      },
      measures: { accepted: this.measuresAccepted, dropped: this.measuresDropped },
      rejected: { ...this.rejected },
      writes: { ...writes },
      recentRejections: [...this.recent].reverse(),
    };
  }
}
