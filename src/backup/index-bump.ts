/**
 * No raftkv cluster commits a million entries a second (a 3-node cluster on
 * this kind of machine does a few thousand; etcd's published peak is ~50k),
 * so an old cluster that kept running after a backup cannot have gone
 * further past the backup's index than this many entries per second of the
 * backup's age.
 */
export const MAX_ENTRIES_PER_SECOND = 1_000_000;
/** Added to the age: clocks of the machine that took the backup and the one restoring it may disagree. */
const CLOCK_SLACK_SECONDS = 24 * 60 * 60;

/**
 * How far a restored cluster's index starts above the backup's (etcd's
 * --bump-revision, but on by default): above any index the old cluster can
 * have reached since the backup was taken, so no index a client saw there
 * is ever seen again with another meaning. A day-old backup moves the index
 * up by ~1.7e11; JavaScript's safe integers last for ~50,000 such restores.
 */
export function defaultIndexBump(backupCreatedAtUnixMs: number, nowUnixMs: number): number {
  const ageSeconds = Math.max(0, (nowUnixMs - backupCreatedAtUnixMs) / 1000);
  return Math.ceil((ageSeconds + CLOCK_SLACK_SECONDS) * MAX_ENTRIES_PER_SECOND);
}
