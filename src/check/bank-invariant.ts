/** A read of every balance that broke the bank's invariants. */
export interface BankReadAnomaly {
  /** Position of the read in the list given. */
  readonly index: number;
  readonly total: number;
  readonly negativeAccounts: readonly string[];
  readonly description: string;
}

/**
 * The bank workload's per-read invariant: every read of all balances (each
 * in one transaction) sums to the constant total, and no balance is
 * negative. Cheaper than a full linearizability check and meaningful on any
 * read, so it runs over the whole history.
 */
export function checkBankReads(reads: readonly Readonly<Record<string, number>>[], expectedTotal: number): readonly BankReadAnomaly[] {
  const anomalies: BankReadAnomaly[] = [];
  reads.forEach((balances, index) => {
    const entries = Object.entries(balances);
    const total = entries.reduce((sum, [, balance]) => sum + balance, 0);
    const negativeAccounts = entries.filter(([, balance]) => balance < 0).map(([account]) => account);
    if (total === expectedTotal && negativeAccounts.length === 0) return;
    const problems: string[] = [];
    if (total !== expectedTotal) problems.push(`total ${total}, expected ${expectedTotal}`);
    if (negativeAccounts.length > 0) problems.push(`negative balance in ${negativeAccounts.join(", ")}`);
    anomalies.push({ index, total, negativeAccounts, description: `read ${index}: ${problems.join("; ")}` });
  });
  return anomalies;
}
