import { describe, expect, test } from "bun:test";
import { parsePeerAddress } from "../../src/transport/peer-address.ts";

describe("peer address", () => {
  test("parses host:port and [ipv6]:port", () => {
    expect(parsePeerAddress("127.0.0.1:50051")).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(parsePeerAddress("node-2.internal:7000")).toEqual({ host: "node-2.internal", port: 7000 });
    expect(parsePeerAddress("[::1]:50052")).toEqual({ host: "::1", port: 50052 });
  });

  test("rejects anything else, naming the input", () => {
    for (const bad of ["", "localhost", ":50051", "::1:50051", "host:0", "host:70000", "host:12ab", "a b:1"]) {
      expect(() => parsePeerAddress(bad)).toThrow(JSON.stringify(bad));
    }
  });
});
