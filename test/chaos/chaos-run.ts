import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "./cluster.ts";
import type { OutcomeCounts, RecordedOp } from "./history.ts";
import { defaultNemesisOptions, Nemesis, NodeRefusedError, type FaultKind, type FaultRecord, type NemesisOptions } from "./nemesis.ts";
import { SeededRandom } from "../../src/random/seeded-random.ts";
import { RegisterWorkload, type RegisterOp, type RegisterVerdict } from "./register-workload.ts";
import { setAnomalies, SetWorkload, type SetAdd, type SetAdded, type SetVerdict } from "./set-workload.ts";

export interface ChaosRunOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly nodes: number;
  readonly binary?: string;
  readonly registerClients: number;
  readonly setClients: number;
  readonly keys: number;
  /** How long one set of register keys is used before fresh keys replace it. */
  readonly keyGenerationMs: number;
  readonly requestTimeoutMs: number;
  readonly maxOpsPerClient: number;
  readonly checkTimeoutMs: number;
  readonly nemesis: NemesisOptions;
  /** Keep history and logs even when the run passes. */
  readonly keepArtifacts?: boolean;
}

export const defaultChaosOptions: Omit<ChaosRunOptions, "seed" | "durationMs"> = {
  nodes: 1,
  registerClients: 6,
  setClients: 2,
  keys: 24,
  keyGenerationMs: 10_000,
  requestTimeoutMs: 1_000,
  maxOpsPerClient: 200_000,
  checkTimeoutMs: 60_000,
  nemesis: defaultNemesisOptions,
};

export interface ChaosRunReport {
  readonly seed: number;
  readonly ops: OutcomeCounts;
  readonly faults: Record<FaultKind, number>;
  readonly faultLog: readonly FaultRecord[];
  readonly register: RegisterVerdict;
  /** The checker's input, for self-checks that corrupt it. */
  readonly registerOps: readonly RegisterOp[];
  readonly set: SetVerdict | undefined;
  /** The set workload's operations and its final read, for self-checks. */
  readonly setRecorded: readonly RecordedOp<SetAdd, SetAdded>[];
  readonly finalSet: ReadonlyMap<string, string> | undefined;
  /** Why a node would not come back after a fault, if it did not. */
  readonly refused: string | undefined;
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
  const stopAt = performance.now() + options.durationMs;
  let stopped = false;
  let nemesisDone = false;
  const timeUp = (): boolean => stopped || performance.now() >= stopAt;
  // Clients keep going while the nemesis finishes its last fault, so faults always land under load.
  const shouldStop = (): boolean => timeUp() && nemesisDone;
  const limits = { shouldStop, maxOpsPerClient: options.maxOpsPerClient, requestTimeoutMs: options.requestTimeoutMs };
  const registers = new RegisterWorkload({ ...limits, clients: options.registerClients, keys: options.keys, readFraction: 0.5, keyGenerationMs: options.keyGenerationMs }, prng.fork());
  const set = new SetWorkload({ ...limits, clients: options.setClients });
  const nemesis = new Nemesis(cluster, prng.fork(), options.nemesis);
  const endpoints = cluster.endpoints();

  let refused: string | undefined;
  let finalRead: Map<string, string> | undefined;
  let runError: unknown;
  try {
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
    const settled = await Promise.allSettled([registers.run(endpoints), set.run(endpoints), faults]);
    for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
    // A node that died on its own at the very end (already a finding) is restarted for the final read.
    if (refused === undefined) for (const node of cluster.nodes) if (node.state === "stopped") await node.start();
    if (refused === undefined) finalRead = await set.readAll(cluster.node(0).endpoint);
  } catch (error) {
    runError = error;
  }

  const registerOps = registers.operations();
  const register = RegisterWorkload.check(registerOps, options.checkTimeoutMs);
  const setVerdict = finalRead === undefined ? undefined : set.verdict(finalRead);
  const anomalies = collectAnomalies(register, setVerdict);
  if (runError !== undefined) anomalies.push(`run error: ${errorText(runError)}`);
  if (refused !== undefined) anomalies.push(`node refused to restart: ${refused}`);
  for (const node of cluster.nodes) for (const exit of node.unexpectedExits) anomalies.push(`unexpected exit: ${exit}`);
  for (const finding of nemesis.findings) anomalies.push(`nemesis: ${finding}`);

  const failed = anomalies.length > 0;
  let artifactsDir: string | undefined;
  if (failed || options.keepArtifacts === true) {
    artifactsDir = join(cluster.root, "artifacts");
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, "history.json"), JSON.stringify({ seed: options.seed, options, faults: nemesis.faults, anomalies, register: registers.history.events, set: set.history.events, finalSet: finalRead === undefined ? null : [...finalRead.keys()] }, null, 1));
  }
  await cluster.teardown({ keepFiles: artifactsDir !== undefined });

  const registerCounts = registers.history.counts();
  const setCounts = set.history.counts();
  const ops: OutcomeCounts = { ok: registerCounts.ok + setCounts.ok, fail: registerCounts.fail + setCounts.fail, info: registerCounts.info + setCounts.info };
  const faults = nemesis.countsByKind();
  const summary = summaryLine(options, ops, faults, anomalies.length, register, setVerdict, artifactsDir === undefined ? undefined : cluster.root);
  return { seed: options.seed, ops, faults, faultLog: nemesis.faults, register, registerOps, set: setVerdict, setRecorded: set.history.recorded(), finalSet: finalRead, refused, anomalies, artifactsDir: artifactsDir === undefined ? undefined : cluster.root, summary };
}

function collectAnomalies(register: RegisterVerdict, set: SetVerdict | undefined): string[] {
  const anomalies: string[] = [];
  const result = register.result;
  switch (result.kind) {
    case "ok":
      break;
    case "illegal":
      anomalies.push(`registers not linearizable (partition ${result.partition}): ${result.explanation}`);
      break;
    case "unknown":
      anomalies.push(`register check timed out after ${Math.round(register.checkMs)} ms: not a pass`);
      break;
    default: {
      const unreachable: never = result;
      throw new Error(`unknown check result ${JSON.stringify(unreachable)}`);
    }
  }
  if (set === undefined) {
    anomalies.push("set: no final read (the node did not come back)");
  } else if (setAnomalies(set) > 0) {
    const sample = (list: readonly string[]): string => list.slice(0, 10).join(",") + (list.length > 10 ? ",…" : "");
    anomalies.push(
      `set: ${set.lost.length} acknowledged adds lost [${sample(set.lost)}], ${set.unexpected.length} never attempted present [${sample(set.unexpected)}], ` +
        `${set.failedButPresent.length} failed adds present [${sample(set.failedButPresent)}], ${set.corrupted.length} with wrong values [${sample(set.corrupted)}]`,
    );
  }
  return anomalies;
}

function summaryLine(
  options: ChaosRunOptions,
  ops: OutcomeCounts,
  faults: Record<FaultKind, number>,
  anomalies: number,
  register: RegisterVerdict,
  set: SetVerdict | undefined,
  artifacts: string | undefined,
): string {
  const faultText = Object.entries(faults).map(([k, n]) => `${k}=${n}`).join(" ");
  const setText = set === undefined ? "set: not read" : `set: ${set.acknowledged} acked, ${set.ambiguousPresent}/${set.ambiguousPresent + set.ambiguousAbsent} ambiguous present, ${setAnomalies(set)} bad`;
  return (
    `chaos seed=${options.seed} nodes=${options.nodes} duration=${(options.durationMs / 1000).toFixed(0)}s ` +
    `ops=${ops.ok + ops.fail + ops.info} (ok=${ops.ok} fail=${ops.fail} info=${ops.info}) faults: ${faultText} anomalies=${anomalies} ` +
    `| registers: ${register.checkedOps} ops on ${register.keys} keys checked in ${Math.round(register.checkMs)} ms (${register.result.kind}) | ${setText}` +
    (artifacts === undefined ? "" : ` | artifacts: ${artifacts}`)
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.message}${error.cause === undefined ? "" : ` (cause: ${errorText(error.cause)})`}` : String(error);
}
