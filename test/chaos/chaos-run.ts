import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import { type BankVerdict, BankWorkload } from "./bank-workload.ts";
import { Cluster } from "./cluster.ts";
import { ClusterProbe } from "./cluster-probe.ts";
import { awaitConvergence, type ConvergenceVerdict, describeConvergence } from "./convergence.ts";
import { firstIllegalPrefix } from "./detection-time.ts";
import { clusterFaults, singleNodeFaults } from "./fault-kind.ts";
import type { OutcomeCounts, RecordedOp } from "./history.ts";
import { defaultNemesisOptions, type FaultKind, type FaultRecord, Nemesis, type NemesisOptions, NodeRefusedError } from "./nemesis.ts";
import { RaftNetwork } from "./raft-network.ts";
import { type RegisterOp, type RegisterVerdict, RegisterWorkload } from "./register-workload.ts";
import { collectAnomalies, summaryLine } from "./run-summary.ts";
import { type SetAdd, type SetAdded, type SetVerdict, SetWorkload } from "./set-workload.ts";
import { type WatchVerdict, WatchWorkload } from "./watch-workload.ts";

export interface ChaosRunOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly nodes: number;
  readonly binary?: string;
  readonly registerClients: number;
  readonly setClients: number;
  /** Bank clients (transfers and whole-bank reads with Txn), when Txn is served. */
  readonly bankClients: number;
  /** Watch consumers of the set's prefix, when Watch is served. */
  readonly watchers: number;
  readonly keys: number;
  /** Share of register writes that are CAS when Txn is served. */
  readonly casFraction: number;
  /** Share of register reads at the lease level. */
  readonly leaseReadFraction: number;
  /** How long one set of register keys is used before fresh keys replace it. */
  readonly keyGenerationMs: number;
  readonly requestTimeoutMs: number;
  readonly maxOpsPerClient: number;
  readonly checkTimeoutMs: number;
  /** How long, after healing, the nodes may take to agree on applied index and content. */
  readonly convergenceTimeoutMs: number;
  readonly nemesis: NemesisOptions;
  /** Keep history and logs even when the run passes. */
  readonly keepArtifacts?: boolean;
}

export const defaultChaosOptions: Omit<ChaosRunOptions, "seed" | "durationMs"> = {
  nodes: 3,
  registerClients: 6,
  setClients: 2,
  bankClients: 2,
  watchers: 2,
  keys: 24,
  casFraction: 0.5,
  leaseReadFraction: 0.25,
  keyGenerationMs: 10_000,
  requestTimeoutMs: 1_000,
  maxOpsPerClient: 200_000,
  checkTimeoutMs: 60_000,
  convergenceTimeoutMs: 30_000,
  nemesis: { ...defaultNemesisOptions, kinds: clusterFaults },
};

/** The options for a cluster of `nodes`: a single node gets only the faults one process can suffer. */
export function chaosOptionsFor(nodes: number): Omit<ChaosRunOptions, "seed" | "durationMs"> {
  const kinds = nodes >= 3 ? clusterFaults : singleNodeFaults;
  return { ...defaultChaosOptions, nodes, nemesis: { ...defaultChaosOptions.nemesis, kinds } };
}

export interface ChaosRunReport {
  readonly seed: number;
  readonly ops: OutcomeCounts;
  readonly faults: Record<FaultKind, number>;
  readonly faultLog: readonly FaultRecord[];
  /** Fault kinds and workload operations asked for but not run, with why (e.g. a service not served yet). */
  readonly skipped: readonly string[];
  /** The fault kinds the nemesis could inject in this run. */
  readonly injectableFaults: readonly FaultKind[];
  readonly register: RegisterVerdict;
  /** The checker's input, for self-checks that corrupt it. */
  readonly registerOps: readonly RegisterOp[];
  readonly set: SetVerdict | undefined;
  readonly bank: BankVerdict | undefined;
  readonly watch: WatchVerdict | undefined;
  /** The set workload's operations and its final read, for self-checks. */
  readonly setRecorded: readonly RecordedOp<SetAdd, SetAdded>[];
  readonly finalSet: ReadonlyMap<string, string> | undefined;
  /** Why a node would not come back after a fault, if it did not. */
  readonly refused: string | undefined;
  readonly convergence: ConvergenceVerdict | undefined;
  /** When the registers are not linearizable: the seconds of load after which the violation is already in the history. */
  readonly detectedAfterMs: number | undefined;
  /** One line per correctness problem found; empty = the run passed. */
  readonly anomalies: readonly string[];
  /** Where history and logs were kept (failing runs, or keepArtifacts). */
  readonly artifactsDir: string | undefined;
  readonly summary: string;
}

/**
 * One seeded chaos run: start the cluster, run the workloads while the
 * nemesis injects faults, heal, read the set back, check everything, and
 * keep history + node logs when something is wrong.
 */
export async function runChaos(options: ChaosRunOptions): Promise<ChaosRunReport> {
  const prng = new SeededRandom(options.seed);
  const cluster = await Cluster.start({ nodes: options.nodes, binary: options.binary });
  const probe = new ClusterProbe(cluster);
  const setup: string[] = [];
  const network = new RaftNetwork(cluster);
  // The clock starts once the cluster takes writes (below).
  let stopAt = Number.POSITIVE_INFINITY;
  let loadStart = performance.now();
  let stopped = false;
  let nemesisDone = false;
  const timeUp = (): boolean => stopped || performance.now() >= stopAt;
  // Clients keep going while the nemesis finishes its last fault, so faults always land under load.
  const shouldStop = (): boolean => timeUp() && nemesisDone;
  const limits = { shouldStop, maxOpsPerClient: options.maxOpsPerClient, requestTimeoutMs: options.requestTimeoutMs };
  // Measure from a working cluster: a leader, and every follower able to forward (neither call throws).
  if (!(await probe.awaitWritable(30_000))) setup.push("the cluster did not accept writes through every node within 30 s of starting");
  const txn = await probe.txnServed();
  const notRun = txn ? [] : ["cas: KV.Txn answers Unimplemented"];
  const registers = new RegisterWorkload(
    {
      ...limits,
      clients: options.registerClients,
      keys: options.keys,
      readFraction: 0.5,
      casFraction: txn ? options.casFraction : 0,
      leaseReadFraction: options.leaseReadFraction,
      keyGenerationMs: options.keyGenerationMs,
    },
    prng.fork(),
  );
  const set = new SetWorkload({ ...limits, clients: options.setClients });
  const bank =
    txn && options.bankClients > 0 ? new BankWorkload({ ...limits, clients: options.bankClients, accounts: 5, initialBalance: 100 }, prng.fork()) : undefined;
  if (bank === undefined && options.bankClients > 0) notRun.push("bank: KV.Txn answers Unimplemented");
  const watchServed = options.watchers > 0 && (await probe.watchServed());
  const watch = watchServed ? new WatchWorkload({ watchers: options.watchers, prefix: set.prefix, shouldStop, silenceMs: 3_000 }) : undefined;
  if (watch === undefined && options.watchers > 0) notRun.push("watch: KV.Watch answers Unimplemented");
  const nemesis = new Nemesis({ cluster, network, probe }, prng.fork(), options.nemesis);

  let refused: string | undefined;
  let finalRead: Map<string, string> | undefined;
  let convergence: ConvergenceVerdict | undefined;
  let runError: unknown;
  try {
    const endpoints = (): string[] => cluster.endpoints();
    await bank?.open(endpoints, 30_000);
    await watch?.start(endpoints);
    loadStart = performance.now();
    stopAt = loadStart + options.durationMs;
    const faults = nemesis
      .run(timeUp)
      .catch((error: unknown) => {
        stopped = true;
        if (error instanceof NodeRefusedError) refused = error.message;
        else throw error;
      })
      .finally(() => {
        nemesisDone = true;
      });
    // allSettled: even if the nemesis fails, the clients finish before the history is checked.
    const settled = await Promise.allSettled([registers.run(endpoints), set.run(endpoints), bank?.run(endpoints), faults]);
    for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
    network.heal();
    // A node that died on its own at the very end (already a finding) is restarted for the final checks.
    if (refused === undefined) for (const node of cluster.nodes) if (node.state === "stopped") await node.start();
    if (refused === undefined) {
      if (!(await probe.awaitWritable(30_000))) setup.push("after healing, the cluster did not accept writes through every node within 30 s");
      finalRead = await readSetFromAnyNode(set, cluster.endpoints());
      const lastAck = set.history.recorded().reduce((max, r) => (r.outcome === "ok" && r.output !== undefined ? Math.max(max, r.output.index) : max), 0);
      await watch?.finish(lastAck, 20_000);
      convergence = await awaitConvergence(cluster, options.convergenceTimeoutMs);
    }
  } catch (error) {
    runError = error;
  }
  await watch?.stop();

  const registerOps = registers.operations();
  const register = RegisterWorkload.check(registerOps, options.checkTimeoutMs);
  const setVerdict = finalRead === undefined ? undefined : set.verdict(finalRead);
  const bankVerdict = bank?.verdict();
  const watchVerdict = watch?.verdict(set.history.recorded());
  const anomalies = collectAnomalies(register, setVerdict);
  // For reports on deliberately broken builds: how much load the violation took to show.
  const detectedAfterMs = register.result.kind === "illegal" ? firstIllegalPrefix(registerOps, loadStart, 1_000, options.checkTimeoutMs) : undefined;
  if (detectedAfterMs !== undefined)
    anomalies.push(`registers: the first ${Math.round(detectedAfterMs / 1000)} s of load already hold a linearizability violation`);
  for (const bad of bankVerdict?.anomalies.slice(0, 10) ?? []) anomalies.push(`bank: ${bad.description}`);
  for (const problem of watchVerdict?.problems ?? []) anomalies.push(`watch: ${problem}`);
  if (convergence !== undefined && !convergence.converged)
    anomalies.push(`nodes did not converge within ${options.convergenceTimeoutMs} ms: ${describeConvergence(convergence)}`);
  for (const problem of setup) anomalies.push(problem);
  if (runError !== undefined) anomalies.push(`run error: ${errorText(runError)}`);
  if (refused !== undefined) anomalies.push(`node refused to restart: ${refused}`);
  for (const node of cluster.nodes) for (const exit of node.unexpectedExits) anomalies.push(`unexpected exit: ${exit}`);
  for (const finding of nemesis.findings) anomalies.push(`nemesis: ${finding}`);

  const failed = anomalies.length > 0;
  let artifactsDir: string | undefined;
  if (failed || options.keepArtifacts === true) {
    artifactsDir = join(cluster.root, "artifacts");
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(
      join(artifactsDir, "history.json"),
      JSON.stringify(
        {
          seed: options.seed,
          options,
          faults: nemesis.faults,
          anomalies,
          convergence,
          register: registers.history.events,
          set: set.history.events,
          bank: bank?.history.events ?? null,
          finalSet: finalRead === undefined ? null : [...finalRead.keys()],
        },
        null,
        1,
      ),
    );
  }
  await cluster.teardown({ keepFiles: artifactsDir !== undefined });

  const registerCounts = registers.history.counts();
  const setCounts = set.history.counts();
  const bankCounts = bank?.history.counts() ?? { ok: 0, fail: 0, info: 0 };
  const ops: OutcomeCounts = {
    ok: registerCounts.ok + setCounts.ok + bankCounts.ok,
    fail: registerCounts.fail + setCounts.fail + bankCounts.fail,
    info: registerCounts.info + setCounts.info + bankCounts.info,
  };
  const faults = nemesis.countsByKind();
  const unavailable = [...nemesis.unavailable, ...notRun];
  const summary = summaryLine(
    options,
    ops,
    faults,
    anomalies.length,
    register,
    setVerdict,
    bankVerdict,
    watchVerdict,
    convergence,
    unavailable,
    artifactsDir === undefined ? undefined : cluster.root,
  );
  return {
    seed: options.seed,
    ops,
    faults,
    faultLog: nemesis.faults,
    skipped: unavailable,
    injectableFaults: nemesis.injectable,
    register,
    registerOps,
    set: setVerdict,
    bank: bankVerdict,
    watch: watchVerdict,
    setRecorded: set.history.recorded(),
    finalSet: finalRead,
    refused,
    convergence,
    detectedAfterMs,
    anomalies,
    artifactsDir: artifactsDir === undefined ? undefined : cluster.root,
    summary,
  };
}

/** The final linearizable read of the set, from the first node that answers. */
async function readSetFromAnyNode(set: SetWorkload, endpoints: readonly string[]): Promise<Map<string, string>> {
  let lastError: unknown;
  for (const endpoint of endpoints) {
    try {
      return await set.readAll(endpoint, 8);
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`no node answered the final read of the set`, { cause: lastError });
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.message}${error.cause === undefined ? "" : ` (cause: ${errorText(error.cause)})`}` : String(error);
}
