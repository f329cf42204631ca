import { expect, test } from "bun:test";
import { parseDurationMs } from "../../src/cli/duration.ts";
import { envName, flagValue } from "../../src/cli/flag-value.ts";

test("durations take ms, s, m, h or bare milliseconds", () => {
  expect(parseDurationMs("x", "500ms")).toBe(500);
  expect(parseDurationMs("x", "1s")).toBe(1000);
  expect(parseDurationMs("x", "1.5s")).toBe(1500);
  expect(parseDurationMs("x", "2m")).toBe(120_000);
  expect(parseDurationMs("x", "1h")).toBe(3_600_000);
  expect(parseDurationMs("x", "250")).toBe(250);
});

test("bad durations name the flag and the input", () => {
  expect(() => parseDurationMs("heartbeat-timeout", "soon")).toThrow('--heartbeat-timeout: expected a duration such as 500ms, 1s or 2m, got "soon"');
  expect(() => parseDurationMs("heartbeat-timeout", "0s")).toThrow("--heartbeat-timeout: must be a positive duration");
  expect(() => parseDurationMs("heartbeat-timeout", "-1s")).toThrow("--heartbeat-timeout");
});

test("a flag wins over its RAFTKV_* variable, which wins over the default", () => {
  expect(envName("--snapshot-threshold")).toBe("RAFTKV_SNAPSHOT_THRESHOLD");
  process.env.RAFTKV_SNAPSHOT_THRESHOLD = "77";
  try {
    expect(flagValue(undefined, "snapshot-threshold", "8192")).toBe("77");
    expect(flagValue("5", "snapshot-threshold", "8192")).toBe("5");
  } finally {
    delete process.env.RAFTKV_SNAPSHOT_THRESHOLD;
  }
  expect(flagValue(undefined, "snapshot-threshold", "8192")).toBe("8192");
});
