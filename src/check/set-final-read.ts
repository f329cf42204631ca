/** One attempted add of the set workload, and whether the store acknowledged it. */
export interface AttemptedAdd {
  readonly element: string;
  /** true: acknowledged; false: failed or ambiguous (it may or may not be present). */
  readonly acknowledged: boolean;
}

export interface SetFinalReadReport {
  /** True when nothing was lost and nothing appeared from nowhere. */
  readonly ok: boolean;
  /** Acknowledged adds missing from the final read: lost writes. */
  readonly lost: readonly string[];
  /** Elements in the final read that no client ever tried to add. */
  readonly unexpected: readonly string[];
  /** Elements the final read lists more than once. */
  readonly duplicated: readonly string[];
  /** Unacknowledged adds that are present: allowed (they took effect), reported for the summary. */
  readonly recovered: readonly string[];
}

/**
 * The set workload's end-of-run invariant (Jepsen's "set" checker): after
 * the faults stop and the cluster heals, one read of the whole set must
 * contain every acknowledged add, and nothing that was never attempted.
 */
export function checkSetFinalRead(attempts: readonly AttemptedAdd[], finalRead: readonly string[]): SetFinalReadReport {
  const attempted = new Set<string>();
  const acknowledged = new Set<string>();
  for (const attempt of attempts) {
    attempted.add(attempt.element);
    if (attempt.acknowledged) acknowledged.add(attempt.element);
  }
  const present = new Set<string>();
  const duplicated = new Set<string>();
  for (const element of finalRead) {
    if (present.has(element)) duplicated.add(element);
    present.add(element);
  }
  const lost = [...acknowledged].filter((element) => !present.has(element)).sort();
  const unexpected = [...present].filter((element) => !attempted.has(element)).sort();
  const recovered = [...present].filter((element) => attempted.has(element) && !acknowledged.has(element)).sort();
  return {
    ok: lost.length === 0 && unexpected.length === 0 && duplicated.size === 0,
    lost,
    unexpected,
    duplicated: [...duplicated].sort(),
    recovered,
  };
}
