import { expect, test } from "bun:test";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { Diagnostics } from "../../src/gen/raftkv/v1/diagnostics_pb.ts";
import { AuthToken } from "../../web/src/connection/auth-token.ts";
import { consoleRefusalInterceptor } from "../../web/src/connection/console-transport.ts";

/** sessionStorage's shape over a Map, so the test sees what is kept. */
function memoryStorage(): Pick<Storage, "getItem" | "setItem" | "removeItem"> & { readonly kept: Map<string, string> } {
  const kept = new Map<string, string>();
  return {
    kept,
    getItem: (key) => kept.get(key) ?? null,
    setItem: (key, value) => void kept.set(key, value),
    removeItem: (key) => void kept.delete(key),
  };
}

/**
 * An in-memory Connect server (connect's router transport: real handler
 * dispatch, no network) whose Echo reports the authorization header it got,
 * and refuses with UNAUTHENTICATED when `required` and none came.
 */
function echoAuthorization(auth: AuthToken, required: boolean, extra: Interceptor[] = []) {
  const transport = createRouterTransport(
    ({ service }) => {
      service(Diagnostics, {
        echo(_request, context) {
          const header = context.requestHeader.get("authorization");
          if (required && header === null) throw new ConnectError("a token is required", Code.Unauthenticated);
          return { payload: new TextEncoder().encode(header ?? "(none)") };
        },
      });
    },
    { transport: { interceptors: [auth.interceptor(), ...extra] } },
  );
  return createClient(Diagnostics, transport);
}

test("no token: nothing is sent (a node without authentication sees an ordinary client)", async () => {
  const auth = new AuthToken(memoryStorage());
  const answer = await echoAuthorization(auth, false).echo({});
  expect(new TextDecoder().decode(answer.payload)).toBe("(none)");
});

test("a token is sent as a bearer token on every call, kept for the tab, and forgotten when cleared", async () => {
  const storage = memoryStorage();
  const auth = new AuthToken(storage);
  auth.set("  s3cret  ");
  const client = echoAuthorization(auth, true);
  expect(new TextDecoder().decode((await client.echo({})).payload)).toBe("Bearer s3cret");
  expect(storage.kept.get("raftkv.console.token")).toBe("s3cret");
  expect(new AuthToken(storage).token).toBe("s3cret");
  auth.set("");
  expect(storage.kept.size).toBe(0);
  expect(auth.token).toBe("");
});

test("an UNAUTHENTICATED answer makes the console ask for a token", async () => {
  const auth = new AuthToken(memoryStorage());
  expect(auth.state.get().tokenRequested).toBe(false);
  // The console's transport adds this interceptor after the token one (console-transport.ts).
  const client = echoAuthorization(auth, true, [consoleRefusalInterceptor(auth)]);
  await expect(client.echo({})).rejects.toThrow("a token is required");
  expect(auth.state.get().tokenRequested).toBe(true);
  auth.dismiss();
  expect(auth.state.get().tokenRequested).toBe(false);
});
