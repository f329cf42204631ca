import type { InboundRejectionKind } from "./inbound-rejection.ts";

/** The outbound link to one peer. Counters are totals since the link was created. */
export interface PeerLinkStats {
  readonly address: string;
  readonly connected: boolean;
  readonly queuedBytes: number;
  readonly queuedFrames: number;
  /** Frames fully handed to the kernel (not a promise of delivery). */
  readonly sentFrames: number;
  readonly sentBytes: number;
  /**
   * Frames refused because the queue was full or the frame too large, plus
   * frames of a partly written batch lost with a failed connection.
   */
  readonly droppedFrames: number;
  /** Connections established after the first one. */
  readonly reconnects: number;
  readonly connectFailures: number;
}

export interface InboundStats {
  readonly openConnections: number;
  readonly acceptedConnections: number;
  readonly receivedFrames: number;
  readonly rejectedConnections: number;
  readonly rejectionsByKind: Readonly<Record<InboundRejectionKind, number>>;
  /** Closed because the TLS handshake failed (no certificate, another CA, expired), before any frame was read. */
  readonly tlsRefusedConnections: number;
  /** Older connections from a sender closed because it opened a new one. */
  readonly supersededConnections: number;
  /** Bytes of partial frames inbound connections hold now (bounded by maxInboundBufferedBytes). */
  readonly bufferedBytes: number;
}

export interface TransportStats {
  readonly peers: Readonly<Record<string, PeerLinkStats>>;
  /** send() calls for an id with no setPeer. */
  readonly droppedForUnknownPeer: number;
  readonly inbound: InboundStats;
}
