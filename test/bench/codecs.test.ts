import { describe, expect, test } from "bun:test";
import { grpcFrame, putBody } from "../../bench/harness/grpc-put-body.ts";
import { parseH2loadOutput } from "../../bench/harness/h2load.ts";
import { KeySpace, prefixEnd, sequenceOf, writeValue } from "../../src/bench/index.ts";

describe("key space and values", () => {
  test("keys sort numerically and the prefix end bounds them", () => {
    const keys = new KeySpace("kv/", 1000);
    expect(keys.keyText(7)).toBe("kv/00000007");
    expect(Buffer.compare(Buffer.from(keys.key(9)), Buffer.from(keys.key(10)))).toBe(-1);
    expect(new TextDecoder().decode(keys.end())).toBe("kv0");
    expect([...prefixEnd(new Uint8Array([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixEnd(new Uint8Array([0xff]))]).toEqual([0]);
  });

  test("a value carries its write sequence and has the requested size", () => {
    for (const [sequence, size] of [
      [1, 16],
      [123_456_789, 16],
      [42, 65536],
    ] as const) {
      const value = writeValue(sequence, size);
      expect(value.length).toBe(size);
      expect(sequenceOf(value)).toBe(sequence);
    }
    expect(sequenceOf(new TextEncoder().encode("no sequence here"))).toBeUndefined();
    expect(() => writeValue(36 ** 15, 16)).toThrow("too small");
  });
});

describe("h2load support", () => {
  test("the gRPC frame is flag, big-endian length, message; both systems get the same Put bytes", () => {
    expect([...grpcFrame(new Uint8Array([1, 2, 3]))]).toEqual([0, 0, 0, 0, 3, 1, 2, 3]);
    const raftkv = putBody("raftkv", 256);
    expect(raftkv.length).toBe(5 + 2 + 10 + 3 + 256);
    expect([...putBody("etcd", 256)]).toEqual([...raftkv]);
  });

  test("h2load's summary is parsed into rates and latencies", () => {
    const output = `finished in 317.80ms, 9439.93 req/s, 624.04KB/s
requests: 3000 total, 3000 started, 3000 done, 2990 succeeded, 10 failed, 0 errored, 0 timeout
status codes: 3000 2xx, 0 3xx, 0 4xx, 0 5xx
                     min         max         mean         sd        +/- sd
time for request:      850us     1.21s      9.68ms      4.20ms    66.53%
`;
    const result = parseH2loadOutput(output, { requests: 3000, clients: 10, streamsPerClient: 10 });
    expect(result.inFlight).toBe(100);
    expect(result.elapsedSeconds).toBeCloseTo(0.3178, 6);
    expect(result.throughput).toBeCloseTo(9439.93, 2);
    expect(result.succeeded).toBe(2990);
    expect(result.failed).toBe(10);
    expect(result.minMs).toBeCloseTo(0.85, 6);
    expect(result.maxMs).toBe(1210);
    expect(result.meanMs).toBe(9.68);
    expect(() => parseH2loadOutput("nothing useful", { requests: 1, clients: 1, streamsPerClient: 1 })).toThrow("cannot parse");
  });
});
