import { describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { classifyCallFailure } from "../../src/client/call-failure.ts";

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function kindOf(error: unknown): string {
  return classifyCallFailure(error).kind;
}

describe("classifyCallFailure", () => {
  test("a refused connection never sent anything", () => {
    const refused = new ConnectError(
      "connect ECONNREFUSED 127.0.0.1:1",
      Code.Unavailable,
      undefined,
      undefined,
      nodeError("ECONNREFUSED", "connect ECONNREFUSED"),
    );
    expect(kindOf(refused)).toBe("not-sent");
  });

  test("an HTTP/2 GOAWAY during a graceful shutdown (Internal) never opened the stream", () => {
    const goaway = new ConnectError(
      "New streams cannot be created after receiving a GOAWAY",
      Code.Internal,
      undefined,
      undefined,
      nodeError("ERR_HTTP2_GOAWAY_SESSION", "New streams cannot be created after receiving a GOAWAY"),
    );
    expect(kindOf(goaway)).toBe("not-sent");
  });

  test("a connection reset mid-call may have delivered the request", () => {
    const reset = new ConnectError("read ECONNRESET", Code.Aborted, undefined, undefined, nodeError("ECONNRESET", "read ECONNRESET"));
    expect(kindOf(reset)).toBe("node-failed");
  });

  test("the server's refusals before proposing are recognised; after proposing they are not", () => {
    expect(kindOf(new ConnectError("node n2 cannot forward the write: no leader is known", Code.Unavailable))).toBe("not-sent");
    expect(kindOf(new ConnectError("node n2 is not the leader: the leader is n1", Code.Unavailable))).toBe("not-sent");
    expect(kindOf(new ConnectError("node n2 forwarded the write to leader n1 at 127.0.0.1:5: connect ECONNREFUSED 127.0.0.1:5", Code.Unavailable))).toBe(
      "not-sent",
    );
    expect(kindOf(new ConnectError("leadership was lost before the write was applied; its outcome is unknown", Code.Unavailable))).toBe("node-failed");
    expect(kindOf(new ConnectError("node n2 forwarded the write to leader n1 at 127.0.0.1:5: leadership was lost", Code.Unavailable))).toBe("node-failed");
    expect(kindOf(new ConnectError("the node is shutting down", Code.Unavailable))).toBe("node-failed");
  });

  test("answers about the request itself are final", () => {
    expect(kindOf(new ConnectError("key: empty", Code.InvalidArgument))).toBe("final");
    expect(kindOf(new ConnectError("compare failed", Code.FailedPrecondition))).toBe("final");
    expect(kindOf(new ConnectError("not implemented", Code.Unimplemented))).toBe("final");
    // Aborted from the server (no socket error behind it) is an answer, not a dropped connection.
    expect(kindOf(new ConnectError("conflict", Code.Aborted))).toBe("final");
    expect(kindOf(new ConnectError("bug", Code.Internal))).toBe("final");
  });

  test("a deadline says nothing about whether a write applied", () => {
    expect(kindOf(new ConnectError("the proposal did not complete", Code.DeadlineExceeded))).toBe("node-failed");
  });
});
