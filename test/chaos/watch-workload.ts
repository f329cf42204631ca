import { Consistency, EventType, type WatchResponse } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { withinTime } from "../support/eventually.ts";
import { type EndpointSource, FailoverConnection } from "./failover-connection.ts";
import type { RecordedOp } from "./history.ts";
import { fromUtf8, utf8 } from "./kv-connection.ts";
import type { SetAdd, SetAdded } from "./set-workload.ts";

export interface WatchWorkloadOptions {
  readonly watchers: number;
  /** The prefix watched: the set workload's, whose every add is a Put of a fresh key. */
  readonly prefix: string;
  readonly shouldStop: () => boolean;
  /** A stream silent this long (no event, no progress) counts as stuck and is reopened elsewhere. */
  readonly silenceMs: number;
}

/** One change as a watcher received it. */
interface SeenEvent {
  readonly key: string;
  readonly value: string;
  readonly index: number;
  readonly type: EventType;
}

/** Index ranges the server declared skipped (compacted history, snapshot restore): events there may be missing. */
interface ExcusedGap {
  readonly after: number;
  readonly upTo: number;
  readonly why: string;
}

export interface WatchVerdict {
  readonly watchers: number;
  readonly events: number;
  readonly reconnects: number;
  readonly gapsDeclared: number;
  readonly problems: readonly string[];
}

/**
 * Watch consumers of the set workload's prefix. Each follows the prefix
 * across node failures: when its stream ends or falls silent it resumes on
 * another node from the index after the last event it saw. Checked at the
 * end: events arrive in index order with no duplicates; every acknowledged
 * add appears with the index its Put answered and the value written,
 * unless the server declared that stretch skipped (compacted or abandoned);
 * no event names a key whose add definitely failed or was never attempted.
 */
export class WatchWorkload {
  private readonly watchers: Watcher[];

  constructor(private readonly options: WatchWorkloadOptions) {
    this.watchers = Array.from({ length: options.watchers }, () => new Watcher(options));
  }

  /** Opens every watcher "from now" and resolves once each has its first stream (so no add can precede it). */
  async start(endpoints: EndpointSource): Promise<void> {
    await Promise.all(this.watchers.map((w, i) => w.start(new FailoverConnection(endpoints, i))));
  }

  /** Closes every stream at once (after a failed run). */
  async stop(): Promise<void> {
    await this.finish(0, 0);
  }

  /** After the load stops: waits (bounded) until every watcher saw `index`, then closes the streams. */
  async finish(index: number, timeoutMs: number): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.finish(index, timeoutMs)));
  }

  verdict(adds: readonly RecordedOp<SetAdd, SetAdded>[]): WatchVerdict {
    const problems = this.watchers.flatMap((w, i) => w.problems(adds, this.options.prefix).map((p) => `watcher ${i}: ${p}`));
    return {
      watchers: this.watchers.length,
      events: this.watchers.reduce((n, w) => n + w.events.length, 0),
      reconnects: this.watchers.reduce((n, w) => n + w.reconnects, 0),
      gapsDeclared: this.watchers.reduce((n, w) => n + w.gaps.length, 0),
      problems,
    };
  }
}

class Watcher {
  readonly events: SeenEvent[] = [];
  readonly gaps: ExcusedGap[] = [];
  /** Out-of-order or duplicate deliveries, noticed as they arrive. */
  private readonly disorder: string[] = [];
  reconnects = 0;
  /** Everything up to here has been delivered (events or progress). */
  private seenUpTo = 0;
  /** The index the first stream started after; adds at or below it are not expected. */
  private startedAfter: number | undefined;
  private readonly seenKeys = new Map<string, number>();
  private running: Promise<void> | undefined;
  private stopping = false;
  private currentAbort: AbortController | undefined;

  constructor(private readonly options: WatchWorkloadOptions) {}

  async start(connection: FailoverConnection): Promise<void> {
    let opened: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      opened = resolve;
    });
    this.running = this.loop(connection, opened);
    const openWithinMs = 30_000;
    const timedOut = await Promise.race([first.then(() => false), this.running.then(() => false), Bun.sleep(openWithinMs).then(() => true)]);
    if (timedOut) {
      await this.finish(0, 0);
      throw new Error(`watch: no stream opened within ${openWithinMs} ms`);
    }
  }

  async finish(index: number, timeoutMs: number): Promise<void> {
    // Gives up quietly: whatever was not seen by then is what the checker judges.
    await withinTime(() => this.seenUpTo >= index, timeoutMs, 100);
    this.stopping = true;
    this.currentAbort?.abort();
    await this.running;
  }

  private async loop(connection: FailoverConnection, opened: () => void): Promise<void> {
    while (!this.stopping) {
      const abort = new AbortController();
      this.currentAbort = abort;
      let lastHeard = performance.now();
      const watchdog = setInterval(() => {
        if (performance.now() - lastHeard > this.options.silenceMs) abort.abort();
      }, 200);
      try {
        const kv = connection.current();
        const startIndex = this.startedAfter === undefined ? 0 : this.seenUpTo + 1;
        const stream = kv.watch(
          { key: utf8(this.options.prefix), prefix: true, startIndex: BigInt(startIndex), progressIntervalMs: 500 },
          { signal: abort.signal },
        );
        for await (const answer of stream) {
          lastHeard = performance.now();
          const ended = await this.take(answer.kind, connection, opened);
          if (ended) break;
        }
      } catch {
        // Node down, paused (the watchdog aborted), or reset: resume elsewhere.
      } finally {
        clearInterval(watchdog);
      }
      if (this.stopping) return;
      this.reconnects++;
      connection.failOver();
      await Bun.sleep(100);
    }
  }

  /** Handles one stream message; true when the server ended the stream. */
  private async take(kind: WatchResponse["kind"], connection: FailoverConnection, opened: () => void): Promise<boolean> {
    switch (kind.case) {
      case "created": {
        const created = kind.value;
        if (this.startedAfter === undefined) {
          // "From now": everything after the node's applied index at creation is ours to see.
          this.startedAfter = Math.max(0, Number(created.startIndex) - 1);
          this.seenUpTo = this.startedAfter;
          opened();
        }
        return false;
      }
      case "events": {
        for (const e of kind.value.events) {
          if (e.kv === undefined) continue;
          const seen: SeenEvent = { key: fromUtf8(e.kv.key), value: fromUtf8(e.kv.value), index: Number(e.kv.modIndex), type: e.type };
          if (seen.index <= this.seenUpTo && this.events.length > 0) {
            this.disorder.push(`event ${seen.key}@${seen.index} after everything up to ${this.seenUpTo} was delivered (out of order or duplicate)`);
          }
          const before = this.seenKeys.get(`${seen.key}@${seen.index}`);
          if (before !== undefined) this.disorder.push(`duplicate event ${seen.key}@${seen.index}`);
          this.seenKeys.set(`${seen.key}@${seen.index}`, this.events.length);
          this.events.push(seen);
          this.seenUpTo = Math.max(this.seenUpTo, seen.index);
        }
        return false;
      }
      case "progress": {
        this.seenUpTo = Math.max(this.seenUpTo, Number(kind.value.index));
        return false;
      }
      case "compacted": {
        const upTo = Number(kind.value.compactIndex) - 1;
        if (upTo > this.seenUpTo) this.gaps.push({ after: this.seenUpTo, upTo, why: "compacted" });
        this.seenUpTo = Math.max(this.seenUpTo, upTo);
        return true;
      }
      case "abandoned": {
        // The node's state was replaced by a snapshot: re-read, and watch on from what the read saw.
        const index = await this.reread(connection);
        if (index > this.seenUpTo) this.gaps.push({ after: this.seenUpTo, upTo: index, why: "abandoned" });
        this.seenUpTo = Math.max(this.seenUpTo, index);
        return true;
      }
      case "canceled":
        return true;
      case undefined:
        return false;
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown watch message ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async reread(connection: FailoverConnection): Promise<number> {
    const answer = await connection
      .current()
      .range({ prefix: utf8(this.options.prefix), countOnly: true, consistency: Consistency.LINEARIZABLE }, { timeoutMs: 2_000 });
    return Number(answer.header?.index ?? 0n);
  }

  problems(adds: readonly RecordedOp<SetAdd, SetAdded>[], prefix: string): string[] {
    const problems = [...this.disorder];
    const excused = (index: number): boolean => this.gaps.some((g) => index > g.after && index <= g.upTo);
    const byKey = new Map<string, SeenEvent[]>();
    for (const e of this.events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
    const attempted = new Map(adds.map((a) => [prefix + a.input.element, a]));
    const startedAfter = this.startedAfter ?? Number.POSITIVE_INFINITY;
    const lastAck = adds.reduce((max, a) => (a.outcome === "ok" && a.output !== undefined ? Math.max(max, a.output.index) : max), 0);
    if (this.startedAfter === undefined) problems.push("never opened a watch");
    else if (this.seenUpTo < lastAck) problems.push(`stuck: delivered up to ${this.seenUpTo}, the last acknowledged add is at ${lastAck}`);
    for (const add of adds) {
      if (add.outcome !== "ok" || add.output === undefined) continue;
      const index = add.output.index;
      if (index <= startedAfter || index > this.seenUpTo || excused(index)) continue;
      const key = prefix + add.input.element;
      const seen = byKey.get(key) ?? [];
      if (seen.length === 0) problems.push(`missed acknowledged add ${key}@${index}`);
      else if (!seen.some((e) => e.index === index && e.value === add.input.element && e.type === EventType.PUT)) {
        problems.push(`${key}: acknowledged at ${index} with value ${add.input.element}, watched as ${seen.map((e) => `${e.value}@${e.index}`).join(",")}`);
      }
    }
    for (const e of this.events) {
      const add = attempted.get(e.key);
      if (add === undefined) problems.push(`event for ${e.key}@${e.index}, never written`);
      else if (add.outcome === "fail") problems.push(`event for ${e.key}@${e.index}, whose add definitely failed`);
    }
    return problems.slice(0, 20);
  }
}
