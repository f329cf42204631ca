import { type CheckResult, checkLinearizable } from "../../src/check/linearizability.ts";
import type { Operation } from "../../src/check/operation.ts";
import { type RegisterInput, type RegisterOutput, registerModel } from "../../src/check/register-model.ts";
import { CompareOp, Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { SeededRandom } from "../../src/random/seeded-random.ts";
import { type EndpointSource, FailoverConnection } from "./failover-connection.ts";
import { History } from "./history.ts";
import { type ClientLoopLimits, failureBackoffMs, fromUtf8, type KvConnection, utf8 } from "./kv-connection.ts";

export type RegisterOp = Operation<RegisterInput, RegisterOutput>;

/** A read at the lease level; the checker treats it as any read (it must be just as linearizable). */
type LeveledRead = Extract<RegisterInput, { kind: "read" }> & { readonly level: "lease" };

export interface RegisterWorkloadOptions extends ClientLoopLimits {
  readonly clients: number;
  readonly keys: number;
  /** Share of operations that are (linearizable) reads; the rest write unique values. */
  readonly readFraction: number;
  /**
   * Share of the non-reads that are compare-and-set (a Txn comparing the
   * value the client last saw), when the server serves Txn; 0 otherwise.
   */
  readonly casFraction: number;
  /**
   * Share of the reads made at the lease level (the leader answers from its
   * lease, without a quorum round). They must be linearizable too, pauses
   * included: a leader whose lease ran out while it was stopped must not use
   * it. Recorded as reads with `level: "lease"` in the history.
   */
  readonly leaseReadFraction: number;
  /**
   * Every this many ms the key set is replaced by fresh keys (as Jepsen's
   * independent keys): a key's history stays short, so the checker's search,
   * which grows with every ambiguous write left open forever, stays cheap
   * however long the run.
   */
  readonly keyGenerationMs: number;
}

export interface RegisterVerdict {
  readonly checkedOps: number;
  readonly keys: number;
  readonly result: CheckResult<RegisterInput, RegisterOutput>;
  readonly checkMs: number;
}

/**
 * Single-key registers over many keys: linearizable Gets and Puts of values
 * no one else ever writes, so a read names the write it saw. Checked per key
 * by the project's linearizability checker. With Txn served, some writes
 * are compare-and-set on the value the client last saw (so most CAS have a
 * chance to succeed and a failed one is still informative).
 */
export class RegisterWorkload {
  readonly history = new History<RegisterInput, RegisterOutput>();
  private nextValue = 0;
  private readonly started = performance.now();

  constructor(
    private readonly options: RegisterWorkloadOptions,
    private readonly prng: SeededRandom,
    private readonly keyPrefix = "reg/",
  ) {}

  async run(endpoints: EndpointSource): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_, i) => this.client(new FailoverConnection(endpoints, i), this.prng.fork())));
  }

  private async client(connection: FailoverConnection, prng: SeededRandom): Promise<void> {
    const { shouldStop, maxOpsPerClient, requestTimeoutMs } = this.options;
    let process = this.history.newProcess();
    // The value this client last saw per key: what its CAS expects.
    const lastSeen = new Map<string, string | null>();
    for (let i = 0; i < maxOpsPerClient && !shouldStop(); i++) {
      const generation = Math.floor((performance.now() - this.started) / this.options.keyGenerationMs);
      const key = `${this.keyPrefix}${generation}/${prng.int(this.options.keys)}`;
      const input = this.nextInput(key, lastSeen.get(key) ?? null, prng);
      const kv = connection.current();
      let output: RegisterOutput | undefined;
      const outcome = await this.history.run(process, input, async () => {
        output = await perform(kv, input, requestTimeoutMs);
        return output;
      });
      if (output !== undefined) remember(lastSeen, input, output);
      if (outcome === "info") process = this.history.newProcess();
      if (outcome !== "ok") {
        connection.failOver();
        await Bun.sleep(failureBackoffMs);
      }
    }
  }

  private nextInput(key: string, expect: string | null, prng: SeededRandom): RegisterInput {
    if (prng.next() < this.options.readFraction) {
      if (prng.next() < this.options.leaseReadFraction) {
        const leaseRead: LeveledRead = { kind: "read", key, level: "lease" };
        return leaseRead;
      }
      return { kind: "read", key };
    }
    const value = `v${this.nextValue++}`;
    return prng.next() < this.options.casFraction ? { kind: "cas", key, expect, value } : { kind: "write", key, value };
  }

  /**
   * The checker's input. Ambiguous reads are dropped (they constrain
   * nothing), and so are ambiguous writes whose value no successful read
   * returned and no CAS expected, on keys without a failed CAS: values are
   * unique, so such a write is unobservable — any
   * linearization containing it stays legal without it, and vice versa —
   * while every write left open with return = +Infinity multiplies the
   * checker's search (as etcd's robustness tests do).
   */
  operations(): RegisterOp[] {
    const all = this.history.toOperations((input) => input.kind === "read");
    const observed = new Set<string>();
    // A failed CAS observes that the value was NOT what it expected, which any write may explain: keep them all on such keys.
    const failedCasKeys = new Set<string>();
    for (const op of all) {
      if (op.output?.kind === "read" && op.output.value !== null) observed.add(op.output.value);
      if (op.input.kind === "cas" && op.input.expect !== null) observed.add(op.input.expect);
      if (op.output?.kind === "cas" && !op.output.ok) failedCasKeys.add(op.input.key);
    }
    return all.filter((op) => !(op.output === undefined && op.input.kind === "write" && !observed.has(op.input.value) && !failedCasKeys.has(op.input.key)));
  }

  static check(ops: readonly RegisterOp[], timeoutMs: number): RegisterVerdict {
    const started = performance.now();
    const result = checkLinearizable(registerModel, ops, { timeoutMs });
    return { checkedOps: ops.length, keys: new Set(ops.map((o) => o.input.key)).size, result, checkMs: performance.now() - started };
  }
}

async function perform(kv: KvConnection, input: RegisterInput, timeoutMs: number): Promise<RegisterOutput> {
  switch (input.kind) {
    case "read": {
      const consistency = "level" in input && input.level === "lease" ? Consistency.LEASE : Consistency.LINEARIZABLE;
      const got = await kv.get({ key: utf8(input.key), consistency }, { timeoutMs });
      return { kind: "read", value: got.found && got.kv !== undefined ? fromUtf8(got.kv.value) : null };
    }
    case "write":
      await kv.put({ key: utf8(input.key), value: utf8(input.value) }, { timeoutMs });
      return { kind: "write" };
    case "cas": {
      const key = utf8(input.key);
      // Expecting "absent" compares existence; otherwise the exact value.
      const compare =
        input.expect === null
          ? { key, op: CompareOp.EQUAL, target: { case: "exists" as const, value: false } }
          : { key, op: CompareOp.EQUAL, target: { case: "value" as const, value: utf8(input.expect) } };
      const answer = await kv.txn({ compare: [compare], success: [{ op: { case: "put", value: { key, value: utf8(input.value) } } }] }, { timeoutMs });
      return { kind: "cas", ok: answer.succeeded };
    }
    default: {
      const unreachable: never = input;
      throw new Error(`unknown register input ${JSON.stringify(unreachable)}`);
    }
  }
}

function remember(lastSeen: Map<string, string | null>, input: RegisterInput, output: RegisterOutput): void {
  switch (output.kind) {
    case "read":
      lastSeen.set(input.key, output.value);
      break;
    case "write":
      if (input.kind === "write") lastSeen.set(input.key, input.value);
      break;
    case "cas":
      if (input.kind === "cas" && output.ok) lastSeen.set(input.key, input.value);
      break;
    default: {
      const unreachable: never = output;
      throw new Error(`unknown register output ${JSON.stringify(unreachable)}`);
    }
  }
}
