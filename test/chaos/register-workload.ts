import { checkLinearizable, type CheckResult } from "../../src/check/linearizability.ts";
import type { Operation } from "../../src/check/operation.ts";
import { registerModel, type RegisterInput, type RegisterOutput } from "../../src/check/register-model.ts";
import { Consistency } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { History } from "./history.ts";
import { connectKv, failureBackoffMs, fromUtf8, utf8, type ClientLoopLimits, type KvConnection } from "./kv-connection.ts";
import type { SeededRandom } from "../../src/random/seeded-random.ts";

export type RegisterOp = Operation<RegisterInput, RegisterOutput>;

export interface RegisterWorkloadOptions extends ClientLoopLimits {
  readonly clients: number;
  readonly keys: number;
  /** Share of operations that are (linearizable) reads; the rest write unique values. */
  readonly readFraction: number;
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
 * by the project's linearizability checker. CAS joins when Txn exists.
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

  async run(endpoints: readonly string[]): Promise<void> {
    await Promise.all(
      Array.from({ length: this.options.clients }, (_, i) => this.client(connectKv(endpoints[i % endpoints.length] ?? ""), this.prng.fork())),
    );
  }

  private async client(kv: KvConnection, prng: SeededRandom): Promise<void> {
    const { shouldStop, maxOpsPerClient, requestTimeoutMs } = this.options;
    let process = this.history.newProcess();
    for (let i = 0; i < maxOpsPerClient && !shouldStop(); i++) {
      const generation = Math.floor((performance.now() - this.started) / this.options.keyGenerationMs);
      const key = `${this.keyPrefix}${generation}/${prng.int(this.options.keys)}`;
      const input: RegisterInput =
        prng.next() < this.options.readFraction ? { kind: "read", key } : { kind: "write", key, value: `v${this.nextValue++}` };
      const outcome = await this.history.run(process, input, () => perform(kv, input, requestTimeoutMs));
      if (outcome === "info") process = this.history.newProcess();
      if (outcome !== "ok") await Bun.sleep(failureBackoffMs);
    }
  }

  /**
   * The checker's input. Ambiguous reads are dropped (they constrain
   * nothing), and so are ambiguous writes whose value no successful read
   * returned: values are unique, so such a write is unobservable — any
   * linearization containing it stays legal without it, and vice versa —
   * while every write left open with return = +Infinity multiplies the
   * checker's search (as etcd's robustness tests do).
   */
  operations(): RegisterOp[] {
    const all = this.history.toOperations((input) => input.kind === "read");
    const observed = new Set<string>();
    for (const op of all) {
      if (op.output?.kind === "read" && op.output.value !== null) observed.add(op.output.value);
    }
    return all.filter((op) => !(op.output === undefined && op.input.kind === "write" && !observed.has(op.input.value)));
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
      const got = await kv.get({ key: utf8(input.key), consistency: Consistency.LINEARIZABLE }, { timeoutMs });
      return { kind: "read", value: got.found && got.kv !== undefined ? fromUtf8(got.kv.value) : null };
    }
    case "write":
      await kv.put({ key: utf8(input.key), value: utf8(input.value) }, { timeoutMs });
      return { kind: "write" };
    case "cas":
      throw new Error("cas needs Txn (issue 5); the register workload does not issue it yet");
    default: {
      const unreachable: never = input;
      throw new Error(`unknown register input ${JSON.stringify(unreachable)}`);
    }
  }
}
