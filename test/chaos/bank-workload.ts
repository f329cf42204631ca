import { type BankReadAnomaly, checkBankReads } from "../../src/check/bank-invariant.ts";
import { CompareOp, Consistency, type KeyValue } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { SeededRandom } from "../../src/random/seeded-random.ts";
import { type EndpointSource, FailoverConnection } from "./failover-connection.ts";
import { History } from "./history.ts";
import { type ClientLoopLimits, failureBackoffMs, fromUtf8, type KvConnection, utf8 } from "./kv-connection.ts";

export type BankOp =
  | { readonly kind: "read"; readonly via: "range" | "txn" }
  | { readonly kind: "transfer"; readonly from: string; readonly to: string; readonly amount: number };
export type BankResult =
  | { readonly kind: "read"; readonly balances: Readonly<Record<string, number>> }
  | { readonly kind: "transfer"; readonly applied: boolean };

export interface BankWorkloadOptions extends ClientLoopLimits {
  readonly clients: number;
  readonly accounts: number;
  readonly initialBalance: number;
}

export interface BankVerdict {
  readonly reads: number;
  readonly transfersApplied: number;
  readonly anomalies: readonly BankReadAnomaly[];
}

const prefix = "bank/";

/**
 * Bank transfers with Txn: each transfer reads two balances, then moves an
 * amount in one transaction guarded by both accounts' mod indexes (so a
 * concurrent transfer makes it fail instead of overwriting). Reads take
 * every balance at once — a linearizable Range, or a Range inside a Txn —
 * and each must sum to the constant total with no account negative or
 * missing.
 */
export class BankWorkload {
  readonly history = new History<BankOp, BankResult>();
  private readonly accountNames: readonly string[];

  constructor(
    private readonly options: BankWorkloadOptions,
    private readonly prng: SeededRandom,
  ) {
    this.accountNames = Array.from({ length: options.accounts }, (_, i) => `a${i}`);
  }

  get total(): number {
    return this.options.accounts * this.options.initialBalance;
  }

  /**
   * Creates the accounts in one transaction; retried until it is known to
   * have happened. Its own loop rather than `eventually`: each failure moves
   * to the next node, and the last one is kept as the cause.
   */
  async open(endpoints: EndpointSource, timeoutMs: number): Promise<void> {
    const connection = new FailoverConnection(endpoints, 0);
    const deadline = performance.now() + timeoutMs;
    const success = this.accountNames.map((a) => ({
      op: { case: "put" as const, value: { key: utf8(prefix + a), value: utf8(String(this.options.initialBalance)) } },
    }));
    let lastError: unknown;
    while (performance.now() < deadline) {
      try {
        await connection.current().txn({ success }, { timeoutMs: 2_000 });
        return;
      } catch (error) {
        lastError = error;
        connection.failOver();
        await Bun.sleep(200);
      }
    }
    throw new Error(`bank: the accounts could not be created within ${timeoutMs} ms`, { cause: lastError });
  }

  async run(endpoints: EndpointSource): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_, i) => this.client(new FailoverConnection(endpoints, i + 1), this.prng.fork())));
  }

  private async client(connection: FailoverConnection, prng: SeededRandom): Promise<void> {
    const { shouldStop, maxOpsPerClient, requestTimeoutMs } = this.options;
    let process = this.history.newProcess();
    for (let i = 0; i < maxOpsPerClient && !shouldStop(); i++) {
      const kv = connection.current();
      let outcome: "ok" | "fail" | "info";
      if (prng.next() < 0.5) {
        const input: BankOp = { kind: "read", via: prng.next() < 0.5 ? "range" : "txn" };
        outcome = await this.history.run(process, input, async () => ({ kind: "read", balances: balancesOf(await readAll(kv, input.via, requestTimeoutMs)) }));
      } else {
        // The balances a transfer is based on are read first; that read is not part of the history.
        let snapshot: KeyValue[];
        try {
          snapshot = await readAll(kv, "range", requestTimeoutMs);
        } catch {
          connection.failOver();
          await Bun.sleep(failureBackoffMs);
          continue;
        }
        const [from, to] = prng.shuffled(snapshot);
        if (from === undefined || to === undefined) continue;
        const fromBalance = Number(fromUtf8(from.value));
        const amount = Math.min(fromBalance, prng.between(1, 10));
        const input: BankOp = { kind: "transfer", from: fromUtf8(from.key).slice(prefix.length), to: fromUtf8(to.key).slice(prefix.length), amount };
        outcome = await this.history.run(process, input, async () => {
          const answer = await kv.txn(
            {
              compare: [from, to].map((kvp) => ({ key: kvp.key, op: CompareOp.EQUAL, target: { case: "modIndex" as const, value: kvp.modIndex } })),
              success: [
                { op: { case: "put", value: { key: from.key, value: utf8(String(fromBalance - amount)) } } },
                { op: { case: "put", value: { key: to.key, value: utf8(String(Number(fromUtf8(to.value)) + amount)) } } },
              ],
            },
            { timeoutMs: requestTimeoutMs },
          );
          return { kind: "transfer", applied: answer.succeeded };
        });
      }
      if (outcome === "info") process = this.history.newProcess();
      if (outcome !== "ok") {
        connection.failOver();
        await Bun.sleep(failureBackoffMs);
      }
    }
  }

  /** Every completed read must hold every account, sum to the total, and have no negative balance. */
  verdict(): BankVerdict {
    const reads: Record<string, number>[] = [];
    let transfersApplied = 0;
    for (const r of this.history.recorded()) {
      if (r.outcome !== "ok" || r.output === undefined) continue;
      if (r.output.kind === "transfer" && r.output.applied) transfersApplied++;
      if (r.output.kind === "read") reads.push({ ...r.output.balances });
    }
    const anomalies = [...checkBankReads(reads, this.total)];
    reads.forEach((balances, index) => {
      const missing = this.accountNames.filter((a) => !(a in balances));
      if (missing.length > 0)
        anomalies.push({ index, total: Number.NaN, negativeAccounts: [], description: `read ${index}: accounts missing: ${missing.join(", ")}` });
    });
    return { reads: reads.length, transfersApplied, anomalies };
  }
}

async function readAll(kv: KvConnection, via: "range" | "txn", timeoutMs: number): Promise<KeyValue[]> {
  switch (via) {
    case "range":
      return (await kv.range({ prefix: utf8(prefix), consistency: Consistency.LINEARIZABLE }, { timeoutMs })).kvs;
    case "txn": {
      const answer = await kv.txn({ success: [{ op: { case: "range", value: { prefix: utf8(prefix) } } }] }, { timeoutMs });
      const first = answer.responses[0]?.op;
      if (first?.case !== "range") throw new Error(`bank: a Txn range answered ${first?.case ?? "nothing"}`);
      return first.value.kvs;
    }
    default: {
      const unreachable: never = via;
      throw new Error(`unknown read path ${String(unreachable)}`);
    }
  }
}

function balancesOf(kvs: readonly KeyValue[]): Record<string, number> {
  const balances: Record<string, number> = {};
  for (const kv of kvs) balances[fromUtf8(kv.key).slice(prefix.length)] = Number(fromUtf8(kv.value));
  return balances;
}
