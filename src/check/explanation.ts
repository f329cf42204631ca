import type { DeepestAttempt } from "./linearization-search.ts";
import type { Model } from "./model.ts";
import type { Operation } from "./operation.ts";

/** How many operations of the prefix to spell out; older ones are elided. */
const prefixShown = 20;

export function describeOp<S, I, O>(model: Model<S, I, O>, op: Operation<I, O>): string {
  const what = model.describeOperation
    ? model.describeOperation(op.input, op.output)
    : `${JSON.stringify(op.input)} -> ${op.output === undefined ? "?" : JSON.stringify(op.output)}`;
  const until = op.output === undefined ? "ambiguous" : String(op.return);
  return `client ${op.clientId}: ${what} [${op.call}, ${until}]`;
}

/**
 * Why a history is not linearizable, in the terms a reader can check by
 * hand: the longest prefix the search could linearize, the state it left,
 * and the completed operation that could not be placed after it.
 */
export function explainIllegal<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], deepest: DeepestAttempt<S, I, O>): string {
  const lines: string[] = [];
  const definite = ops.filter((op) => op.output !== undefined).length;
  lines.push(
    `not linearizable: the longest linearizable prefix has ${deepest.prefix.length} operation(s) ` +
      `(history: ${ops.length} operation(s), ${ops.length - definite} ambiguous)`,
  );
  const skipped = Math.max(0, deepest.prefix.length - prefixShown);
  if (skipped > 0) lines.push(`  ... ${skipped} earlier operation(s)`);
  deepest.prefix.slice(skipped).forEach((op, position) => {
    lines.push(`  ${skipped + position + 1}. ${describeOp(model, op)}`);
  });
  lines.push(`state after the prefix: ${model.key(deepest.state)}`);
  const stuck = deepest.stuck;
  if (stuck !== undefined) {
    lines.push(`cannot be placed next (nor can any order of the concurrent operations): ${describeOp(model, stuck)}`);
  }
  return lines.join("\n");
}
