/**
 * The engine's outbound side of the Raft port (TCP frames in a node, the
 * simulated network in the simulator). Delivery is best effort and in
 * order per peer; Raft retransmits what is lost.
 */
export interface PeerNetwork {
  /** The bound Raft port. */
  readonly port: number;
  /** False when the payload was dropped at once (unknown peer, queue full). */
  send(to: string, payload: Uint8Array): boolean;
  /** Writes what send() queued; sends are otherwise flushed at the end of the turn. */
  flush(): void;
  setPeer(id: string, address: string): void;
  removePeer(id: string): void;
  peerIds(): string[];
  close(): Promise<void>;
  /** Inbound connections closed, per reason, since start (metrics); absent where there are no connections (the simulator). */
  connectionRejections?(): Readonly<Record<string, number>>;
}

/** Who sent a payload, as the connection it came on established. */
export interface PeerSender {
  readonly id: string;
  /** The sender's data dir incarnation ("" from a node that does not say). */
  readonly incarnation: string;
  /** Where the sender says it listens for peers ("" when it does not say). */
  readonly address: string;
}
