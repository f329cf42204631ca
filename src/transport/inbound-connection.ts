import { bytesEqual, decodeFrameBody, FrameView, PROTOCOL_VERSION } from "./frame-codec.ts";
import { FrameReader } from "./frame-reader.ts";
import type { InboundBufferBudget } from "./inbound-buffer-budget.ts";
import type { InboundRejection } from "./inbound-rejection.ts";

/** What every inbound connection of one transport checks frames against. */
export interface InboundPolicy {
  readonly clusterId: Uint8Array;
  readonly selfId: Uint8Array;
  readonly maxFrameBytes: number;
  readonly maxHelloBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly stalledFrameTimeoutMs: number;
  readonly isKnownPeer: ((id: string) => boolean) | undefined;
  /** Shared by every inbound connection: bytes of partial frames they may hold together. */
  readonly bufferBudget: InboundBufferBudget;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * The validating reader of one inbound connection: a hello first, then
 * payload frames whose envelope matches the hello. Any violation yields a
 * rejection and the connection is closed by the caller; nothing after it is
 * delivered.
 */
export class InboundConnection {
  private readonly reader: FrameReader;
  private readonly view = new FrameView();
  private sender: { readonly id: string; readonly incarnation: string; readonly address: string; readonly bytes: Uint8Array } | undefined;
  private rejection: InboundRejection | undefined;
  private retired = false;
  private lastProgressAt: number;
  receivedFrames = 0;

  constructor(
    private readonly policy: InboundPolicy,
    private readonly deliver: (from: string, incarnation: string, address: string, payload: Uint8Array) => void,
    private readonly openedAt: number,
    /**
     * With mutual TLS: what the connection's verified certificate may speak
     * for. A hello claiming any other member is refused, so one member's key
     * cannot impersonate another.
     */
    private readonly certificate?: {
      readonly speaksFor: (id: string) => boolean;
      readonly names: readonly string[];
      readonly expected: (id: string) => string;
    },
  ) {
    // Until the hello is in, a frame longer than a hello can be is garbage:
    // random bytes are rejected on their first four.
    this.reader = new FrameReader(policy.maxHelloBytes, policy.bufferBudget);
    this.lastProgressAt = openedAt;
  }

  /** The node id from the accepted hello, if any. */
  get senderId(): string | undefined {
    return this.sender?.id;
  }

  /** False once rejected or retired: nothing more is read or delivered. */
  get accepting(): boolean {
    return this.rejection === undefined && !this.retired;
  }

  /** Stops delivery without a rejection, e.g. when a newer connection from the same peer replaced this one. */
  retire(): void {
    this.retired = true;
  }

  /** Gives the bytes of a partial frame back to the shared budget; for a connection that closed. */
  release(): void {
    this.retired = true;
    this.reader.release();
  }

  /** Feeds bytes from the socket; returns a rejection when the connection must close. */
  receive(chunk: Uint8Array, now: number): InboundRejection | undefined {
    if (!this.accepting) return undefined;
    this.lastProgressAt = now;
    const outcome = this.reader.push(chunk, (body) => this.onFrame(body));
    switch (outcome.kind) {
      case "ok":
      case "stopped":
        return this.rejection;
      case "oversized":
        return this.reject({ kind: "oversized-frame", length: outcome.length, limit: outcome.limit });
      case "over-budget":
        return this.reject({ kind: "buffer-budget", limit: outcome.limit });
      default: {
        const unreachable: never = outcome;
        throw new Error(`unknown frame read outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Called periodically: a missing hello or a partial frame that stopped growing is a rejection. */
  checkProgress(now: number): InboundRejection | undefined {
    if (!this.accepting) return undefined;
    if (this.sender === undefined && now - this.openedAt >= this.policy.handshakeTimeoutMs) {
      return this.reject({ kind: "handshake-timeout", waitedMs: Math.round(now - this.openedAt) });
    }
    if (this.reader.hasPartialFrame && now - this.lastProgressAt >= this.policy.stalledFrameTimeoutMs) {
      return this.reject({ kind: "stalled-frame", waitedMs: Math.round(now - this.lastProgressAt) });
    }
    return undefined;
  }

  private reject(rejection: InboundRejection): InboundRejection {
    this.rejection = rejection;
    return rejection;
  }

  private onFrame(body: Uint8Array): boolean {
    const view = this.view;
    const problem = decodeFrameBody(body, view);
    if (problem !== undefined) {
      this.reject({ kind: "malformed-frame", detail: problem });
      return false;
    }
    if (!bytesEqual(body, view.clusterIdStart, view.clusterIdEnd, this.policy.clusterId)) {
      this.reject({ kind: "foreign-cluster", clusterId: text(body, view.clusterIdStart, view.clusterIdEnd) });
      return false;
    }
    if (!bytesEqual(body, view.recipientIdStart, view.recipientIdEnd, this.policy.selfId)) {
      this.reject({ kind: "wrong-recipient", recipientId: text(body, view.recipientIdStart, view.recipientIdEnd) });
      return false;
    }
    if (this.sender === undefined) return this.onHello(body);

    if (!bytesEqual(body, view.senderIdStart, view.senderIdEnd, this.sender.bytes)) {
      this.reject({ kind: "sender-changed", senderId: text(body, view.senderIdStart, view.senderIdEnd) });
      return false;
    }
    if (view.body !== "payload") {
      this.reject({ kind: "malformed-frame", detail: `expected a payload frame, got ${view.body}` });
      return false;
    }
    // No copy: Bun hands every data callback a fresh buffer (checked in
    // test/transport/peer-transport.test.ts), so a view stays valid; copying
    // cost 40 % of receive throughput in bench/transport.bench.ts.
    this.receivedFrames++;
    this.deliver(this.sender.id, this.sender.incarnation, this.sender.address, body.subarray(view.payloadStart, view.payloadEnd));
    return this.accepting;
  }

  private onHello(body: Uint8Array): boolean {
    const view = this.view;
    if (view.body !== "hello") {
      this.reject({ kind: "missing-hello" });
      return false;
    }
    if (view.protocolVersion !== PROTOCOL_VERSION) {
      this.reject({ kind: "unsupported-version", version: view.protocolVersion });
      return false;
    }
    const senderId = text(body, view.senderIdStart, view.senderIdEnd);
    if (senderId === "" || (this.policy.isKnownPeer !== undefined && !this.policy.isKnownPeer(senderId))) {
      this.reject({ kind: "unknown-sender", senderId });
      return false;
    }
    if (this.certificate !== undefined && !this.certificate.speaksFor(senderId)) {
      this.reject({ kind: "certificate-mismatch", senderId, names: this.certificate.names, expected: this.certificate.expected(senderId) });
      return false;
    }
    const incarnation = text(body, view.helloIncarnationStart, view.helloIncarnationEnd);
    const address = text(body, view.helloAddressStart, view.helloAddressEnd);
    this.sender = { id: senderId, incarnation, address, bytes: body.slice(view.senderIdStart, view.senderIdEnd) };
    this.reader.setMaxFrameBytes(this.policy.maxFrameBytes);
    return true;
  }
}

function text(body: Uint8Array, start: number, end: number): string {
  // Bounded so a hostile frame cannot put megabytes into a log line.
  return utf8.decode(body.subarray(start, Math.min(end, start + 256)));
}
