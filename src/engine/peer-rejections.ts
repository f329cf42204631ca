import type { RateLimitedLog } from "../log/rate-limited-log.ts";
import { type PeerRejection, type PeerRejectionReason, peerRejectionReasons } from "./peer-message-guard.ts";

export type PeerRejectionCounts = Readonly<Record<PeerRejectionReason, number>>;

/**
 * Counts the peer payloads this node dropped, per reason, and logs each
 * drop naming the peer and the reason; rate-limited per reason and peer, so
 * a peer sending garbage at will cannot flood the log. The metric
 * raftkv_peer_messages_rejected_total{reason} reads the counts.
 */
export class PeerRejections {
  private readonly counts: Record<PeerRejectionReason, number> = Object.fromEntries(peerRejectionReasons.map((reason) => [reason, 0])) as Record<
    PeerRejectionReason,
    number
  >;

  constructor(private readonly log: RateLimitedLog) {}

  record(peer: string, rejection: PeerRejection, kind: string): void {
    this.counts[rejection.reason]++;
    this.log.warn(`peer-rejected:${rejection.reason}:${peer}`, "dropped a peer message", {
      peer,
      reason: rejection.reason,
      kind,
      detail: rejection.detail,
    });
  }

  /** Counted without a log line: the caller logged it its own way. */
  count(reason: PeerRejectionReason): void {
    this.counts[reason]++;
  }

  snapshot(): PeerRejectionCounts {
    return { ...this.counts };
  }

  get total(): number {
    let sum = 0;
    for (const reason of peerRejectionReasons) sum += this.counts[reason];
    return sum;
  }
}
