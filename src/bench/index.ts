// The load generator behind `raftkv bench` and bench/run.ts.
export { AckLog, type WriteRecord } from "./ack-log.ts";
export { modeFrom, numberFlag, workloadFrom } from "./bench-options-parser.ts";
export { formatLoadResult } from "./format-result.ts";
export { KeySpace, prefixEnd } from "./key-space.ts";
export type { KvTarget, RangePage, StoredPair, TargetSystem } from "./kv-target.ts";
export type { LatencySummary } from "./latency-histogram.ts";
export { describeMode, type LoadMode, type LoadOptions } from "./load-options.ts";
export type { LoadResult } from "./load-result.ts";
export { LoadRunner, runLoad } from "./load-runner.ts";
export { openTarget, type TargetOptions } from "./open-target.ts";
export { parseReadLevel, type ReadLevel } from "./read-level.ts";
export { type ClientLibrary, parseClientLibrary } from "./unary-caller.ts";
export { describeWorkload, type Workload } from "./workload.ts";
export { sequenceOf, writeValue } from "./write-value.ts";
export { type LostWrite, type VerificationResult, verifyAcknowledgedWrites } from "./write-verification.ts";
