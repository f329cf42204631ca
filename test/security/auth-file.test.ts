import { describe, expect, test } from "bun:test";
import { parseAuthFile } from "../../src/security/auth-file.ts";
import { KeyPermissions, singleKey } from "../../src/security/key-permissions.ts";

const valid = {
  roles: {
    "app-reader": [{ prefix: "app/", permission: "read" }],
    "cache-writer": [{ prefix: "app/cache/", permission: "write" }],
    ops: [{ prefix: "", permission: "admin" }],
  },
  tokens: [{ name: "ci", token: "0123456789abcdef0123", roles: ["app-reader", "cache-writer"] }],
};

function refusal(text: string): string {
  try {
    parseAuthFile("tokens.json", text);
    return "accepted";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe("--auth-token-file", () => {
  test("the issue's example parses: roles with grants, tokens with roles", () => {
    const file = parseAuthFile("tokens.json", JSON.stringify(valid));
    expect([...file.roles.keys()]).toEqual(["app-reader", "cache-writer", "ops"]);
    expect(file.tokens.map((t) => t.name)).toEqual(["ci"]);
  });

  test("a malformed file is refused with the line and the reason, never the token", () => {
    expect(refusal('{\n  "roles": {},\n  "tokens": [\n    {"name": "a" "token": "x"}\n  ]\n}')).toBe(
      "--auth-token-file tokens.json line 4: not valid JSON (comma expected)",
    );
    expect(refusal('{"roles": {}, "tokens": []}\n,')).toStartWith("--auth-token-file tokens.json line 2: not valid JSON");
    const badPermission = JSON.stringify({ ...valid, roles: { r: [{ prefix: "a/", permission: "wirte" }] } }, null, 2);
    expect(refusal(badPermission)).toBe('--auth-token-file tokens.json line 6: role "r": "permission" must be one of read, write, admin, got "wirte"');
    const unknownRole = JSON.stringify({ roles: {}, tokens: [{ name: "ci", token: "0123456789abcdef0123", roles: ["nope"] }] }, null, 2);
    expect(refusal(unknownRole)).toBe('--auth-token-file tokens.json line 8: token "ci": role "nope" is not defined in "roles"');
    const typo = JSON.stringify({ roles: {}, tokens: [], token: [] }, null, 2);
    expect(refusal(typo)).toBe('--auth-token-file tokens.json line 4: unknown field "token" in the file (known: "roles", "tokens")');
    const shortToken = JSON.stringify({ roles: {}, tokens: [{ name: "ci", token: "secret", roles: [] }] });
    const message = refusal(shortToken);
    expect(message).toContain("the token is 6 characters; it must be 16 to 4096");
    expect(message).not.toContain("secret");
    const duplicate = JSON.stringify({
      roles: {},
      tokens: [
        { name: "a", token: "0123456789abcdef0123", roles: [] },
        { name: "b", token: "0123456789abcdef0123", roles: [] },
      ],
    });
    expect(refusal(duplicate)).toContain('token "b": the same token is listed under another name');
    expect(refusal(duplicate)).not.toContain("0123456789abcdef0123");
    const narrowAdmin = JSON.stringify({ roles: { r: [{ prefix: "app/", permission: "admin" }] }, tokens: [] });
    expect(refusal(narrowAdmin)).toContain('"admin" applies to the whole key space (prefix ""), not to "app/"; use "write" for a prefix');
    expect(refusal("")).toStartWith("--auth-token-file tokens.json line 1: not valid JSON");
    expect(refusal("[]")).toBe('--auth-token-file tokens.json line 1: expected a JSON object {"roles": {...}, "tokens": [...]}');
  });
});

describe("key permissions", () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  const span = (start: string, end?: string) => ({ start: bytes(start), end: end === undefined ? undefined : bytes(end) });
  const ci = KeyPermissions.of([
    { prefix: bytes("app/"), permission: "read" },
    { prefix: bytes("app/cache/"), permission: "write" },
  ]);

  test("write implies read; a prefix covers exactly the keys that start with it", () => {
    expect(ci.allows("read", singleKey(bytes("app/x")))).toBe(true);
    expect(ci.allows("write", singleKey(bytes("app/x")))).toBe(false);
    expect(ci.allows("write", singleKey(bytes("app/cache/x")))).toBe(true);
    expect(ci.allows("read", singleKey(bytes("app")))).toBe(false);
    expect(ci.allows("read", singleKey(bytes("apq")))).toBe(false);
    expect(ci.admin).toBe(false);
  });

  test("a range must lie inside what is granted, whole", () => {
    expect(ci.allows("read", span("app/", "app0"))).toBe(true);
    expect(ci.allows("read", span("app/a", "app/b"))).toBe(true);
    expect(ci.allows("read", span("app/", "b"))).toBe(false);
    expect(ci.allows("read", span("app/"))).toBe(false);
    expect(ci.allows("write", span("app/cache/", "app/cache0"))).toBe(true);
    expect(ci.allows("write", span("app/", "app/cache0"))).toBe(false);
  });

  test("adjacent grants of several roles merge into one span; the empty prefix is every key", () => {
    const merged = KeyPermissions.of([
      { prefix: bytes("a"), permission: "read" },
      { prefix: bytes("b"), permission: "write" },
    ]);
    expect(merged.allows("read", span("a", "c"))).toBe(true);
    expect(merged.allows("read", span("a", "c\u0000"))).toBe(false);
    const everything = KeyPermissions.of([{ prefix: new Uint8Array(0), permission: "admin" }]);
    expect(everything.allows("write", span(""))).toBe(true);
    expect(everything.admin).toBe(true);
    expect(KeyPermissions.none.allows("read", singleKey(bytes("x")))).toBe(false);
  });
});
