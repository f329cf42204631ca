import { describe, expect, test } from "bun:test";
import type { LogFields } from "../../src/log/logger.ts";
import { RateLimitedLog } from "../../src/log/rate-limited-log.ts";

describe("rate-limited log", () => {
  test("logs at most N per window per key and reports what it held back", () => {
    const lines: { message: string; fields: LogFields | undefined }[] = [];
    let now = 0;
    const log = new RateLimitedLog({ warn: (message, fields) => lines.push({ message, fields }) }, 2, 1000, () => now);
    for (let i = 0; i < 10; i++) log.warn("garbage", `bad ${i}`, {});
    log.warn("other", "other key", {});
    expect(lines.map((l) => l.message)).toEqual(["bad 0", "bad 1", "other key"]);
    now = 1000;
    log.warn("garbage", "bad again", {});
    expect(lines.at(-1)).toEqual({ message: "bad again", fields: { suppressedSinceLast: 8 } });
  });
});
