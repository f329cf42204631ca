import { describe, expect, test } from "bun:test";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus, codeToString } from "@connectrpc/connect/protocol-connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { codeName, httpStatusOfCode } from "../../src/server/connect-code-names.ts";
import { setGrpcStatus } from "../../src/server/grpc-trailer-status.ts";

// connect-es's own (internal) helpers are the oracle: ours must answer exactly as they do.
const codes = Object.values(Code).filter((value): value is Code => typeof value === "number");

function entries(headers: Headers): [string, string][] {
  return [...headers.entries()].sort(([a], [b]) => a.localeCompare(b));
}

describe("Connect code names and HTTP statuses", () => {
  test.each(codes.map((code) => [Code[code], code] as const))("%s", (_name, code) => {
    expect(codeName(code)).toBe(codeToString(code));
    expect(httpStatusOfCode(code)).toBe(codeToHttpStatus(code));
  });
});

/** One outgoing detail (a message) and one as it arrives from the wire (type name and bytes). */
function withDetails(): ConnectError {
  const error = new ConnectError("too slow", Code.DeadlineExceeded, undefined, [{ desc: DurationSchema, value: { seconds: 3n, nanos: 5 } }]);
  error.details.push({ type: "raftkv.v1.Hint", value: new Uint8Array([8, 1]), debug: undefined });
  return error;
}

describe("gRPC status trailers", () => {
  const cases: [string, ConnectError | undefined][] = [
    ["success", undefined],
    ["a plain error", new ConnectError("key is empty", Code.InvalidArgument)],
    ["a message that needs percent-encoding", new ConnectError("100% of «quota» used\nnext line", Code.ResourceExhausted)],
    [
      "an error with metadata (protocol headers in it are dropped)",
      new ConnectError("not the leader", Code.Unavailable, { "x-raftkv-not-proposed": "true", "grpc-status": "13", "content-type": "x" }),
    ],
    ["an error with details", withDetails()],
  ];
  test.each(cases)("%s", (_what, error) => {
    expect(entries(setGrpcStatus(new Headers(), error))).toEqual(entries(setTrailerStatus(new Headers(), error)));
  });
});
