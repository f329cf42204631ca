import type { Entry } from "../../../src/raft/entry.ts";
import type { SimHost } from "./sim-host.ts";

const decoder = new TextDecoder();

export class InvariantViolation extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(`t=${at}: ${message}`);
    this.name = "InvariantViolation";
  }
}

/**
 * Raft's safety properties as seen from outside the engines: one leader
 * per term (election safety), one entry per index on every state machine
 * (state machine safety: no replica ever applies something other than what
 * another applied there), and a state machine that never moves backwards
 * within one process.
 */
export class NodeInvariants {
  private readonly leaderOfTerm = new Map<number, string>();
  private readonly appliedAt = new Map<number, { readonly node: string; readonly signature: string }>();
  private readonly appliedByProcess = new Map<string, number>();
  now = 0;

  onApplied(host: SimHost, entry: Entry): void {
    const signature = `${entry.term}/${entry.kind}/${decoder.decode(entry.data)}`;
    const seen = this.appliedAt.get(entry.index);
    if (seen === undefined) this.appliedAt.set(entry.index, { node: host.id, signature });
    else if (seen.signature !== signature) {
      throw new InvariantViolation(
        `state machine safety: ${host.id} applied ${signature} at index ${entry.index}, where ${seen.node} applied ${seen.signature} (a committed entry was lost or overwritten)`,
        this.now,
      );
    }
  }

  check(hosts: readonly SimHost[]): void {
    for (const host of hosts) {
      const engine = host.engine;
      if (engine === undefined) continue;
      const status = engine.status();
      if (status.role === "leader") {
        const other = this.leaderOfTerm.get(status.term);
        if (other !== undefined && other !== host.id) {
          throw new InvariantViolation(`election safety: ${other} and ${host.id} both lead term ${status.term}`, this.now);
        }
        this.leaderOfTerm.set(status.term, host.id);
      }
      const key = `${host.id}#${host.generation}`;
      const before = this.appliedByProcess.get(key) ?? 0;
      if (status.appliedIndex < before) {
        throw new InvariantViolation(`${host.id}: applied index went back from ${before} to ${status.appliedIndex} in one process`, this.now);
      }
      this.appliedByProcess.set(key, status.appliedIndex);
      if (status.commitIndex > status.lastLogIndex) {
        throw new InvariantViolation(`${host.id}: commit ${status.commitIndex} beyond its last log index ${status.lastLogIndex}`, this.now);
      }
    }
  }

  get leaderTerms(): number {
    return this.leaderOfTerm.size;
  }
}
