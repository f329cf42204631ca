import type { BankVerdict } from "./bank-workload.ts";
import type { ConvergenceVerdict } from "./convergence.ts";
import type { FaultKind } from "./fault-kind.ts";
import type { OutcomeCounts } from "./history.ts";
import type { RegisterVerdict } from "./register-workload.ts";
import { type SetVerdict, setAnomalies } from "./set-workload.ts";
import type { WatchVerdict } from "./watch-workload.ts";

/** The register and set verdicts as anomaly lines (the other checks add their own). */
export function collectAnomalies(register: RegisterVerdict, set: SetVerdict | undefined): string[] {
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

export function summaryLine(
  options: { readonly seed: number; readonly nodes: number; readonly durationMs: number },
  ops: OutcomeCounts,
  faults: Record<FaultKind, number>,
  anomalies: number,
  register: RegisterVerdict,
  set: SetVerdict | undefined,
  bank: BankVerdict | undefined,
  watch: WatchVerdict | undefined,
  convergence: ConvergenceVerdict | undefined,
  unavailable: readonly string[],
  artifacts: string | undefined,
): string {
  const faultText = Object.entries(faults)
    .map(([k, n]) => `${k}=${n}`)
    .join(" ");
  const setText =
    set === undefined
      ? "set: not read"
      : `set: ${set.acknowledged} acked, ${set.ambiguousPresent}/${set.ambiguousPresent + set.ambiguousAbsent} ambiguous present, ${setAnomalies(set)} bad`;
  return (
    `chaos seed=${options.seed} nodes=${options.nodes} duration=${(options.durationMs / 1000).toFixed(0)}s ` +
    `ops=${ops.ok + ops.fail + ops.info} (ok=${ops.ok} fail=${ops.fail} info=${ops.info}) faults: ${faultText} anomalies=${anomalies} ` +
    `| registers: ${register.checkedOps} ops on ${register.keys} keys checked in ${Math.round(register.checkMs)} ms (${register.result.kind}) | ${setText}` +
    (bank === undefined ? "" : ` | bank: ${bank.reads} reads, ${bank.transfersApplied} transfers applied, ${bank.anomalies.length} bad`) +
    (watch === undefined
      ? ""
      : ` | watch: ${watch.watchers} watchers, ${watch.events} events, ${watch.reconnects} resumes, ${watch.gapsDeclared} declared gaps, ${watch.problems.length} bad`) +
    ` | convergence: ${convergence === undefined ? "not checked" : convergence.converged ? `${convergence.nodes.length} nodes at applied ${convergence.nodes[0]?.appliedIndex ?? 0} after ${Math.round(convergence.waitedMs)} ms` : "FAILED"}` +
    (unavailable.length === 0 ? "" : ` | not injected: ${unavailable.join("; ")}`) +
    (artifacts === undefined ? "" : ` | artifacts: ${artifacts}`)
  );
}
