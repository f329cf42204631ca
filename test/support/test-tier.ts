/**
 * Which tier runs: `npm run test:unit` sets RAFTKV_TEST_TIER=unit (no
 * processes, no ports, no wall-clock waits, under 30 s); `npm test` runs
 * everything at the full budget. A test with a budget (the simulators'
 * seed counts) takes the smaller one in the unit tier.
 */
export function inUnitTier(): boolean {
  return process.env.RAFTKV_TEST_TIER === "unit";
}

/** `full` in the whole suite, `unit` in the fast tier. */
export function budget(full: number, unit: number): number {
  return inUnitTier() ? unit : full;
}
