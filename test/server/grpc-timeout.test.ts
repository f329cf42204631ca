import { describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { parseGrpcTimeout } from "../../src/server/grpc-timeout.ts";

const noLimit = Number.MAX_SAFE_INTEGER;

describe("parseGrpcTimeout (the grpc-timeout header)", () => {
  test("no header: no timeout and no error", () => {
    expect(parseGrpcTimeout(null, noLimit)).toEqual({});
  });

  test.each([
    ["3H", 3 * 3_600_000],
    ["2M", 120_000],
    ["5S", 5000],
    ["250m", 250],
    ["1500u", 1.5],
    ["2000000n", 2],
  ])("%s is %d ms", (value, ms) => {
    expect(parseGrpcTimeout(value, noLimit)).toEqual({ timeoutMs: ms });
  });

  test("zero is a timeout that has already passed, and leading zeros count as digits", () => {
    expect(parseGrpcTimeout("0m", noLimit)).toEqual({ timeoutMs: 0 });
    expect(parseGrpcTimeout("00000007S", noLimit)).toEqual({ timeoutMs: 7000 });
  });

  test("8 digits is the most the header may carry; 9 is malformed", () => {
    expect(parseGrpcTimeout("99999999m", noLimit)).toEqual({ timeoutMs: 99_999_999 });
    const nine = parseGrpcTimeout("123456789m", noLimit);
    expect(nine.error?.code).toBe(Code.InvalidArgument);
    expect(nine.error?.message).toContain("invalid grpc timeout value: 123456789m");
    expect(nine.timeoutMs).toBeUndefined();
  });

  test.each(["", "soon", "10", "S", "1s", "1h", "1 S", " 1S", "1S ", "-1S", "+1S", "1.5S", "1e3m", "0x10m", "１S", "1SS", "1Sm"])(
    "%p is malformed: INVALID_ARGUMENT",
    (value) => {
      const parsed = parseGrpcTimeout(value, noLimit);
      expect(parsed.error?.code).toBe(Code.InvalidArgument);
      expect(parsed.timeoutMs).toBeUndefined();
    },
  );

  test("a timeout above the server's limit is refused; one at the limit is kept", () => {
    expect(parseGrpcTimeout("60S", 60_000)).toEqual({ timeoutMs: 60_000 });
    const over = parseGrpcTimeout("61S", 60_000);
    expect(over.error?.code).toBe(Code.InvalidArgument);
    expect(over.error?.rawMessage).toBe("timeout 61000ms must be <= 60000");
    const hours = parseGrpcTimeout("99999999H", 60_000);
    expect(hours.error?.code).toBe(Code.InvalidArgument);
  });
});
