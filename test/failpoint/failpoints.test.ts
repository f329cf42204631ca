import { expect, test } from "bun:test";
import { failpointsFromEnv } from "../../src/failpoint/failpoints.ts";

class Crashed extends Error {}
const crash = (): never => {
  throw new Crashed("crashed");
};

test("unset or empty means no failpoints at all (callers pay one undefined check)", () => {
  expect(failpointsFromEnv(undefined, crash)).toBeUndefined();
  expect(failpointsFromEnv("  ", crash)).toBeUndefined();
});

test("a crash fires at the chosen hit of its point only", () => {
  const points = failpointsFromEnv("snapshot.received=crash@3,apply.before-answer=crash", crash);
  if (points === undefined) throw new Error("expected failpoints");
  points.hit("snapshot.received");
  points.hit("snapshot.received");
  points.hit("log.persist.before-commit");
  expect(() => points.hit("snapshot.received")).toThrow(Crashed);
  points.hit("snapshot.received");
  expect(() => points.hit("apply.before-answer")).toThrow(Crashed);
});

test("error injects an I/O error naming the point instead of crashing", () => {
  const points = failpointsFromEnv("log.persist.before-commit=error@2", crash);
  if (points === undefined) throw new Error("expected failpoints");
  points.hit("log.persist.before-commit");
  expect(() => points.hit("log.persist.before-commit")).toThrow(/failpoint log\.persist\.before-commit: injected I\/O error \(hit 2\)/);
});

test("a typo is an error naming the known points, not a silent test of nothing", () => {
  expect(() => failpointsFromEnv("snapshot.recieved=crash", crash)).toThrow(/unknown failpoint "snapshot.recieved" \(known: snapshot.received,/);
  expect(() => failpointsFromEnv("snapshot.received=explode", crash)).toThrow(/expected name=crash/);
  expect(() => failpointsFromEnv("snapshot.received=crash@0", crash)).toThrow(/at least 1/);
});
