/**
 * The transport must be listening (its port known) before the log is
 * bootstrapped with this node's raft address, and the engine needs the log:
 * so the transport is created with this inbox as its onMessage, and the
 * engine attaches itself once it exists. Payloads before that are dropped
 * (Raft retransmits).
 */
export class RaftPeerInbox {
  private handler: ((from: string, payload: Uint8Array) => void) | undefined;

  readonly deliver = (from: string, payload: Uint8Array): void => {
    this.handler?.(from, payload);
  };

  attach(handler: (from: string, payload: Uint8Array) => void): void {
    this.handler = handler;
  }
}
