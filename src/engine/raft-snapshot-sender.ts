import type { Logger } from "../log/logger.ts";
import type { InstallSnapshot } from "../raft/message.ts";
import type { FileSnapshotStore } from "../storage/snapshot-store.ts";
import type { SnapshotMeta } from "../storage/snapshot-meta.ts";
import type { SnapshotAck, SnapshotChunk } from "./peer-message-codec.ts";

interface Outgoing {
  readonly message: InstallSnapshot;
  readonly meta: SnapshotMeta;
  readonly chunks: AsyncGenerator<Uint8Array>;
  /** Offset the follower must acknowledge next. */
  awaitedOffset: number;
  last: boolean;
  timer: Timer | undefined;
}

/** How long a chunk may wait for its ack before the transfer is reported failed (the core retries later). */
const ACK_TIMEOUT_MS = 10_000;

/**
 * Streams snapshot files to followers, one chunk in flight per follower: the
 * next chunk leaves when the previous one is acknowledged, so the bounded
 * transport queue never drops a chunk for being full.
 */
export class RaftSnapshotSender {
  private readonly outgoing = new Map<string, Outgoing>();

  constructor(
    private readonly store: FileSnapshotStore,
    private readonly chunkBytes: number,
    private readonly send: (to: string, chunk: SnapshotChunk) => boolean,
    private readonly report: (peer: string, ok: boolean) => void,
    private readonly logger: Logger | undefined,
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
    };
    this.outgoing.set(message.to, transfer);
    void this.sendNext(message.to, transfer, 0);
  }

  onAck(from: string, ack: SnapshotAck): void {
    const transfer = this.outgoing.get(from);
    if (transfer === undefined || ack.index !== transfer.meta.index || ack.term !== transfer.meta.term) return;
    if (!ack.ok || ack.nextOffset !== transfer.awaitedOffset) {
      this.finish(from, transfer, false, `follower refused the chunk before offset ${ack.nextOffset}`);
      return;
    }
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
      const sent = this.send(to, {
        kind: "snapshotChunk",
        from: transfer.message.from,
        term: transfer.message.term,
        snapshot: transfer.message.snapshot,
        checksum: transfer.meta.checksum,
        offset,
        data,
        last: transfer.last,
      });
      if (!sent) {
        this.finish(to, transfer, false, "the transport dropped a chunk");
        return;
      }
      if (transfer.timer !== undefined) clearTimeout(transfer.timer);
      transfer.timer = setTimeout(() => this.finish(to, transfer, false, "no acknowledgement in time"), ACK_TIMEOUT_MS);
    } catch (error) {
      this.finish(to, transfer, false, `reading the snapshot failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private finish(peer: string, transfer: Outgoing, ok: boolean, reason: string): void {
    if (this.outgoing.get(peer) !== transfer) return;
    this.outgoing.delete(peer);
    if (transfer.timer !== undefined) clearTimeout(transfer.timer);
    void transfer.chunks.return(undefined).catch(() => {});
    if (ok) this.logger?.debug("snapshot sent", { peer, index: transfer.meta.index, bytes: transfer.meta.size });
    else this.logger?.warn("sending a snapshot failed", { peer, index: transfer.meta.index, reason });
    this.report(peer, ok);
  }
}
