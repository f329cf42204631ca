import type { Logger } from "../log/logger.ts";
import type { InstallSnapshot } from "../raft/message.ts";
import type { OpenedSnapshot } from "../storage/snapshot-store.ts";
import type { SnapshotAck, SnapshotChunk } from "./peer-message-codec.ts";
import type { SnapshotFiles, SnapshotSinkPort } from "./snapshot-files.ts";

interface Incoming {
  readonly chunk: SnapshotChunk;
  readonly sink: SnapshotSinkPort;
}

/** The last transfer from a peer that was received whole: a resent last chunk is acknowledged again. */
interface Received {
  readonly index: number;
  readonly term: number;
  /** Undefined while its checksum is verified: a resent last chunk then waits for the first answer. */
  size: number | undefined;
}

/** True when `chunk` is one this transfer already holds, ending exactly at `size` (the sender resent it, its ack lost). */
function isRepeat(chunk: SnapshotChunk, index: number, term: number, size: number): boolean {
  return chunk.snapshot.index === index && chunk.snapshot.term === term && chunk.data.length > 0 && chunk.offset + chunk.data.length === size;
}

/**
 * Writes snapshot chunks from a leader into the store. Once the last chunk
 * is in and the whole file's checksum matches, the InstallSnapshot message
 * goes to the core; the file is kept here until the core's Ready asks for it.
 */
export class RaftSnapshotReceiver {
  private readonly incoming = new Map<string, Incoming>();
  private readonly received = new Map<string, OpenedSnapshot>();
  private readonly lastWhole = new Map<string, Received>();

  constructor(
    private readonly selfId: string,
    private readonly store: SnapshotFiles,
    /** False when the snapshot cannot be installed now (the follower is taking one itself). */
    private readonly canInstall: () => boolean,
    private readonly deliver: (message: InstallSnapshot) => void,
    private readonly ack: (to: string, ack: SnapshotAck) => void,
    private readonly logger: Logger | undefined,
  ) {}

  get hasPendingInstall(): boolean {
    return this.received.size > 0;
  }

  /** The verified file of a snapshot handed to the core, removed from the pending set. */
  take(index: number, term: number): OpenedSnapshot | undefined {
    const key = `${index}/${term}`;
    const opened = this.received.get(key);
    this.received.delete(key);
    this.discardPending();
    return opened;
  }

  /**
   * Removes every received file the core did not install (it declined, or a
   * newer one replaced it): the log vouches for none of them, so they would
   * only take disk space until the next start.
   */
  discardPending(): void {
    for (const opened of this.received.values()) {
      try {
        this.store.remove(opened.meta.id);
      } catch (error) {
        this.logger?.warn("could not remove a received snapshot that was not installed", { id: opened.meta.id, error: String(error) });
      }
    }
    this.received.clear();
  }

  async onChunk(from: string, chunk: SnapshotChunk): Promise<void> {
    const answer = (ok: boolean, nextOffset: number): void =>
      this.ack(from, { kind: "snapshotAck", from: this.selfId, index: chunk.snapshot.index, term: chunk.snapshot.term, nextOffset, ok });
    let current = this.incoming.get(from);
    // A chunk resent because its ack was lost (a link reset): acknowledge it again, write nothing.
    if (current !== undefined && isRepeat(chunk, current.chunk.snapshot.index, current.chunk.snapshot.term, current.sink.size)) {
      answer(true, current.sink.size);
      return;
    }
    const whole = this.lastWhole.get(from);
    if (current === undefined && whole !== undefined && isRepeat(chunk, whole.index, whole.term, whole.size ?? chunk.offset + chunk.data.length)) {
      if (whole.size !== undefined) answer(true, whole.size);
      return;
    }
    if (chunk.offset === 0) {
      current?.sink.abort();
      try {
        const sink = this.store.createSink({ index: chunk.snapshot.index, term: chunk.snapshot.term, membership: chunk.snapshot.membership }, chunk.checksum);
        current = { chunk, sink };
        this.incoming.set(from, current);
      } catch (error) {
        this.logger?.error("cannot receive a snapshot", { peer: from, index: chunk.snapshot.index, error: String(error) });
        answer(false, 0);
        return;
      }
    }
    if (
      current === undefined ||
      current.chunk.snapshot.index !== chunk.snapshot.index ||
      current.chunk.snapshot.term !== chunk.snapshot.term ||
      current.sink.size !== chunk.offset
    ) {
      answer(false, current?.sink.size ?? 0);
      return;
    }
    const sink = current.sink;
    try {
      sink.write(chunk.data);
      if (!chunk.last) {
        answer(true, sink.size);
        return;
      }
      this.incoming.delete(from);
      const size = sink.size;
      const whole: Received = { index: chunk.snapshot.index, term: chunk.snapshot.term, size: undefined };
      this.lastWhole.set(from, whole);
      const meta = sink.commit();
      const opened = await this.store.open(meta.id);
      // Checked after the last await: from here to the core's Ready nothing can start a local snapshot.
      if (!this.canInstall()) {
        this.lastWhole.delete(from);
        answer(false, size);
        return;
      }
      this.received.set(`${meta.index}/${meta.term}`, opened);
      this.deliver({ kind: "installSnapshot", from, to: this.selfId, term: chunk.term, snapshot: chunk.snapshot });
      whole.size = size;
      answer(true, size);
    } catch (error) {
      sink.abort();
      this.incoming.delete(from);
      this.lastWhole.delete(from);
      this.logger?.error("a received snapshot was discarded", { peer: from, index: chunk.snapshot.index, error: String(error) });
      answer(false, 0);
    }
  }

  abortAll(): void {
    for (const current of this.incoming.values()) current.sink.abort();
    this.incoming.clear();
  }
}
