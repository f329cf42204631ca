import type { PeerSender } from "./peer-network.ts";

/**
 * The transport must be listening (its port known) before the log is
 * bootstrapped with this node's raft address, and the engine needs the log:
 * so the transport is created with this inbox as its onMessage, and the
 * engine attaches itself once it exists. Payloads before that are dropped
 * (Raft retransmits).
 */
export class RaftPeerInbox {
  private handler: ((sender: PeerSender, payload: Uint8Array) => void) | undefined;

  /** In PeerTransport's onMessage shape. */
  readonly deliver = (from: string, payload: Uint8Array, incarnation = "", address = ""): void => {
    this.handler?.({ id: from, incarnation, address }, payload);
  };

  attach(handler: (sender: PeerSender, payload: Uint8Array) => void): void {
    this.handler = handler;
  }
}
