import { HistoryRecorder } from "../../../src/check/history-recorder.ts";
import type { RegisterInput, RegisterOutput } from "../../../src/check/register-model.ts";
import { EngineError } from "../../../src/engine/engine-error.ts";
import { RaftNotLeaderError } from "../../../src/engine/not-leader-error.ts";
import type { Prng } from "../prng.ts";
import { encodeRegisterWrite } from "./register-machine.ts";
import type { SimHost } from "./sim-host.ts";

export interface NodeWorkloadOptions {
  readonly clients: number;
  readonly keys: readonly string[];
  /** Chance per virtual ms that an idle client starts an operation. */
  readonly rate: number;
  readonly readRatio: number;
  readonly leaseReads: boolean;
  /** A client gives up on an answer after this long (the call stays ambiguous). */
  readonly clientTimeoutMs: number;
}

/**
 * Whether a failed write certainly did not take effect. Only refusals made
 * before the entry entered any log qualify; everything else (timeouts, lost
 * leadership after proposing, an unknown outcome, a crash) may have been
 * applied and must stay ambiguous, or the checker would be unsound.
 */
export function definitelyNotApplied(error: unknown): boolean {
  if (error instanceof RaftNotLeaderError) return !error.proposed;
  if (error instanceof EngineError) {
    switch (error.reason) {
      case "notLeader":
      case "shutdown":
      case "storage":
      case "guardMismatch":
      case "changePending":
      case "invalid":
      case "unsafe":
        return true;
      case "timeout":
      case "aborted":
      case "outcomeUnknown":
        return false;
      default: {
        const unreachable: never = error.reason;
        throw new Error(`unknown engine error reason ${String(unreachable)}`);
      }
    }
  }
  return false;
}

/**
 * Clients calling the real engines as the service layer does: a write goes
 * to the leader the chosen node knows (forwarding), a read is a read
 * barrier on the chosen node followed by a read of its state machine. The
 * history is checked for linearizability at the end.
 */
export class NodeWorkload {
  readonly history = new HistoryRecorder<RegisterInput, RegisterOutput>();
  private readonly busyUntil = new Map<number, number>();
  private sequence = 0;
  completedWrites = 0;
  completedReads = 0;

  constructor(
    private readonly options: NodeWorkloadOptions,
    private readonly rng: Prng,
    /** The simulation's virtual time (a node's drifted clock is for its engine only). */
    private readonly now: () => number,
    private readonly trace: (line: () => string) => void = () => {},
  ) {}

  issue(now: number, hosts: readonly SimHost[]): void {
    for (let client = 0; client < this.options.clients; client++) {
      if ((this.busyUntil.get(client) ?? 0) > now || !this.rng.chance(this.options.rate)) continue;
      const live = hosts.filter((h) => h.engine !== undefined && h.clock?.paused !== true);
      if (live.length === 0) return;
      const host = this.rng.pick(live);
      const key = this.rng.pick(this.options.keys);
      this.busyUntil.set(client, now + this.options.clientTimeoutMs);
      if (this.rng.chance(this.options.readRatio)) this.read(now, client, host, key);
      else this.write(now, client, host, hosts, key);
    }
  }

  private write(now: number, client: number, host: SimHost, hosts: readonly SimHost[], key: string): void {
    const leaderId = host.engine?.status().leaderId ?? "";
    const leader = hosts.find((h) => h.id === leaderId && h.engine !== undefined);
    const target = leader ?? host;
    const engine = target.engine;
    if (engine === undefined) return;
    const value = `c${client}-${this.sequence++}`;
    const id = this.history.invoke(client, { kind: "write", key, value }, now);
    engine.propose(encodeRegisterWrite({ key, value })).then(
      (applied) => {
        this.trace(() => `client ${client}: write ${key}=${value} via ${target.id} committed at ${applied.index}`);
        this.completedWrites++;
        this.history.ok(id, { kind: "write" }, this.now());
        this.busyUntil.delete(client);
      },
      (error: unknown) => {
        if (definitelyNotApplied(error)) this.history.fail(id);
        else this.history.info(id);
        this.busyUntil.delete(client);
      },
    );
  }

  private read(now: number, client: number, host: SimHost, key: string): void {
    const engine = host.engine;
    const generation = host.generation;
    if (engine === undefined) return;
    const id = this.history.invoke(client, { kind: "read", key }, now);
    engine.readBarrier(this.options.leaseReads ? "lease" : "linearizable").then(
      (index) => {
        // The service reads its state machine right after the barrier, in the same turn.
        const values = host.generation === generation ? host.values() : undefined;
        const status = host.engine?.status();
        this.trace(
          () =>
            `client ${client}: read ${key}=${String(values?.get(key))} on ${host.id} (${status?.role} term ${status?.term}) at index ${index}, applied ${status?.appliedIndex}`,
        );
        if (values === undefined) {
          this.history.fail(id);
        } else {
          this.completedReads++;
          this.history.ok(id, { kind: "read", value: values.get(key) ?? null }, this.now());
        }
        this.busyUntil.delete(client);
      },
      () => {
        // A read that failed changed nothing.
        this.history.fail(id);
        this.busyUntil.delete(client);
      },
    );
  }
}
