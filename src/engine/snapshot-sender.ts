import { errorMessage } from "../log/error-message.ts";
import type { Logger } from "../log/logger.ts";
import type { InstallSnapshot } from "../raft/message.ts";
import type { SnapshotMeta } from "../storage/snapshot-meta.ts";
import type { SnapshotAck, SnapshotChunk } from "./peer-message-codec.ts";
import type { Scheduler, TimerHandle } from "./scheduler.ts";
import type { SnapshotFiles } from "./snapshot-files.ts";

interface Outgoing {
  readonly message: InstallSnapshot;
  readonly meta: SnapshotMeta;
  readonly chunks: AsyncGenerator<Uint8Array>;
  /** Offset the follower must acknowledge next. */
  awaitedOffset: number;
  last: boolean;
  timer: TimerHandle | undefined;
  /** The chunk awaiting its ack, kept to send again. */
  inFlight: SnapshotChunk | undefined;
  /** Times `inFlight` was sent again. */
  resends: number;
}

export interface SnapshotResendPolicy {
  /**
   * How long a chunk waits for its ack before it is sent again. A link reset
   * loses whatever was in flight, a chunk or its ack; the follower
   * acknowledges a chunk it already holds again, so resending is safe.
   */
  readonly ackTimeoutMs: number;
  /** Resends of one chunk before the transfer is reported failed (the core retries later, from the start). */
  readonly maxResends: number;
}

const defaultResendPolicy: SnapshotResendPolicy = { ackTimeoutMs: 2_000, maxResends: 5 };

/**
 * Streams snapshot files to followers, one chunk in flight per follower: the
 * next chunk leaves when the previous one is acknowledged, so the bounded
 * transport queue never drops a chunk for being full.
 */
export class RaftSnapshotSender {
  private readonly outgoing = new Map<string, Outgoing>();

  constructor(
    private readonly store: SnapshotFiles,
    private readonly scheduler: Scheduler,
    private readonly chunkBytes: number,
    private readonly send: (to: string, chunk: SnapshotChunk) => boolean,
    private readonly report: (peer: string, ok: boolean) => void,
    private readonly logger: Logger | undefined,
    private readonly resend: SnapshotResendPolicy = defaultResendPolicy,
  ) {}

  /** The core chose to send `message.snapshot` to a follower. */
  start(message: InstallSnapshot): void {
    if (this.outgoing.has(message.to)) return;
    const meta = this.store.list().find((m) => m.index === message.snapshot.index && m.term === message.snapshot.term);
    if (meta === undefined) {
      this.logger?.warn("snapshot to send is no longer stored", { peer: message.to, index: message.snapshot.index });
      this.report(message.to, false);
      return;
    }
    const transfer: Outgoing = {
      message,
      meta,
      chunks: this.store.readChunks(meta.id, this.chunkBytes),
      awaitedOffset: 0,
      last: false,
      timer: undefined,
      inFlight: undefined,
      resends: 0,
    };
    this.outgoing.set(message.to, transfer);
    void this.sendNext(message.to, transfer, 0);
  }

  onAck(from: string, ack: SnapshotAck): void {
    const transfer = this.outgoing.get(from);
    if (transfer === undefined || ack.index !== transfer.meta.index || ack.term !== transfer.meta.term) return;
    // Between chunks (the next one is being read), or the second ack of a chunk sent twice: the transfer has moved on.
    if (transfer.inFlight === undefined || (ack.ok && ack.nextOffset < transfer.awaitedOffset)) return;
    if (!ack.ok || ack.nextOffset !== transfer.awaitedOffset) {
      this.finish(from, transfer, false, `follower refused the chunk before offset ${ack.nextOffset}`);
      return;
    }
    transfer.timer?.cancel();
    transfer.timer = undefined;
    transfer.inFlight = undefined;
    if (transfer.last) {
      this.finish(from, transfer, true, "");
      return;
    }
    void this.sendNext(from, transfer, ack.nextOffset);
  }

  /** Abandons every transfer (leadership lost, shutdown), reporting each as failed. */
  cancelAll(): void {
    for (const [peer, transfer] of this.outgoing) this.finish(peer, transfer, false, "cancelled");
  }

  private async sendNext(to: string, transfer: Outgoing, offset: number): Promise<void> {
    try {
      const next = await transfer.chunks.next();
      if (this.outgoing.get(to) !== transfer) return;
      const data = next.done === true ? new Uint8Array(0) : next.value;
      const end = offset + data.length;
      transfer.last = end >= transfer.meta.size;
      transfer.awaitedOffset = end;
      transfer.inFlight = {
        kind: "snapshotChunk",
        from: transfer.message.from,
        term: transfer.message.term,
        snapshot: transfer.message.snapshot,
        checksum: transfer.meta.checksum,
        offset,
        data,
        last: transfer.last,
      };
      transfer.resends = 0;
      this.sendInFlight(to, transfer);
    } catch (error) {
      this.finish(to, transfer, false, `reading the snapshot failed: ${errorMessage(error)}`);
    }
  }

  private sendInFlight(to: string, transfer: Outgoing): void {
    const chunk = transfer.inFlight;
    if (chunk === undefined) return;
    if (!this.send(to, chunk)) {
      this.finish(to, transfer, false, "the transport dropped a chunk");
      return;
    }
    transfer.timer?.cancel();
    transfer.timer = this.scheduler.after(this.resend.ackTimeoutMs, () => {
      if (this.outgoing.get(to) !== transfer || transfer.inFlight !== chunk) return;
      if (transfer.resends >= this.resend.maxResends) {
        this.finish(to, transfer, false, `no acknowledgement of the chunk at offset ${chunk.offset} after ${this.resend.maxResends + 1} sends`);
        return;
      }
      transfer.resends++;
      this.sendInFlight(to, transfer);
    });
  }

  private finish(peer: string, transfer: Outgoing, ok: boolean, reason: string): void {
    if (this.outgoing.get(peer) !== transfer) return;
    this.outgoing.delete(peer);
    transfer.timer?.cancel();
    void transfer.chunks.return(undefined).catch(() => {});
    if (ok) this.logger?.debug("snapshot sent", { peer, index: transfer.meta.index, bytes: transfer.meta.size });
    else this.logger?.warn("sending a snapshot failed", { peer, index: transfer.meta.index, reason });
    this.report(peer, ok);
  }
}
