import { describe, expect, test } from "bun:test";
import { ReconnectBackoff } from "../../src/transport/reconnect-backoff.ts";

describe("reconnect backoff", () => {
  test("doubles up to the ceiling, jittered within the upper half", () => {
    const low = new ReconnectBackoff({ initialMs: 20, maxMs: 100, random: () => 0 });
    expect([1, 2, 3, 4, 5].map(() => low.nextDelayMs())).toEqual([10, 20, 40, 50, 50]);
    const high = new ReconnectBackoff({ initialMs: 20, maxMs: 100, random: () => 0.5 });
    expect([1, 2, 3, 4].map(() => high.nextDelayMs())).toEqual([15, 30, 60, 75]);
  });

  test("reset starts over from the first delay", () => {
    const backoff = new ReconnectBackoff({ initialMs: 20, maxMs: 1000, random: () => 0 });
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.reset();
    expect(backoff.nextDelayMs()).toBe(10);
  });

  test("many failures never overflow past the ceiling", () => {
    const backoff = new ReconnectBackoff({ initialMs: 50, maxMs: 2000, random: () => 0.999 });
    let last = 0;
    for (let i = 0; i < 200; i++) last = backoff.nextDelayMs();
    expect(last).toBeLessThan(2000);
    expect(last).toBeGreaterThanOrEqual(1000);
  });
});
