import type { Model, StepResult } from "./model.ts";

/**
 * The bank workload: fixed accounts, transfers that fail rather than
 * overdraw, and reads of every balance in one transaction.
 */
export type BankInput = { readonly kind: "transfer"; readonly from: string; readonly to: string; readonly amount: number } | { readonly kind: "read" };

export type BankOutput = { readonly kind: "transfer"; readonly ok: boolean } | { readonly kind: "read"; readonly balances: Readonly<Record<string, number>> };

/** Balances by account name; accounts never appear or disappear after init. */
export type BankState = Readonly<Record<string, number>>;

const rejected: StepResult<BankState> = { ok: false };

function sameBalances(state: BankState, balances: Readonly<Record<string, number>>): boolean {
  const accounts = Object.keys(state);
  if (Object.keys(balances).length !== accounts.length) return false;
  return accounts.every((account) => balances[account] === state[account]);
}

function stepBank(state: BankState, input: BankInput, output: BankOutput | undefined): StepResult<BankState> {
  switch (input.kind) {
    case "transfer": {
      const fromBalance = state[input.from];
      const toBalance = state[input.to];
      if (fromBalance === undefined || toBalance === undefined) return rejected;
      const possible = input.from !== input.to && input.amount > 0 && fromBalance >= input.amount;
      if (output !== undefined && (output.kind !== "transfer" || output.ok !== possible)) return rejected;
      if (!possible) return { ok: true, next: state };
      return {
        ok: true,
        next: { ...state, [input.from]: fromBalance - input.amount, [input.to]: toBalance + input.amount },
      };
    }
    case "read":
      if (output === undefined) return { ok: true, next: state };
      return output.kind === "read" && sameBalances(state, output.balances) ? { ok: true, next: state } : rejected;
    default: {
      const unreachable: never = input;
      throw new Error(`unknown bank input ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A linearizability model of the bank starting from `initial` balances (one object: no partitioning). */
export function bankModel(initial: BankState): Model<BankState, BankInput, BankOutput> {
  const accounts = Object.keys(initial).sort();
  return {
    init: () => ({ ...initial }),
    step: stepBank,
    key: (state) => accounts.map((account) => state[account] ?? 0).join(","),
    describeOperation(input, output) {
      switch (input.kind) {
        case "transfer": {
          const outcome = output?.kind === "transfer" ? (output.ok ? "ok" : "refused") : "?";
          return `transfer(${input.from} -> ${input.to}, ${input.amount}) -> ${outcome}`;
        }
        case "read":
          return `read() -> ${output?.kind === "read" ? JSON.stringify(output.balances) : "?"}`;
        default: {
          const unreachable: never = input;
          throw new Error(`unknown bank input ${JSON.stringify(unreachable)}`);
        }
      }
    },
    isReadOnly: (input, output) => input.kind === "read" || (output?.kind === "transfer" && !output.ok),
  };
}
