import { type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { isPermission, type KeyGrant, permissions } from "./permission.ts";

/** A token as the file lists it. The token itself is kept only to be hashed (see TokenStore). */
export interface TokenEntry {
  readonly name: string;
  readonly token: string;
  readonly roles: readonly string[];
}

/** The checked contents of `--auth-token-file`. */
export interface AuthFile {
  readonly roles: ReadonlyMap<string, readonly KeyGrant[]>;
  readonly tokens: readonly TokenEntry[];
}

/** Bounds that keep a mistaken (or hostile) file from costing start-up time or memory. */
export const authFileLimits = {
  maxTokens: 10_000,
  maxRoles: 1_000,
  maxGrantsPerRole: 1_000,
  maxRolesPerToken: 100,
  maxNameBytes: 256,
  maxPrefixBytes: 4096,
  minTokenChars: 16,
  maxTokenChars: 4096,
} as const;

const utf8 = new TextEncoder();

/** A problem at a place in the file: reported as `FILE line N: reason`. */
class FileProblem extends Error {
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(reason);
  }
}

/**
 * Parses and checks the JSON of `--auth-token-file`:
 *
 *   {"roles": {"app-reader": [{"prefix": "app/", "permission": "read"}], ...},
 *    "tokens": [{"name": "ci", "token": "...", "roles": ["app-reader"]}, ...]}
 *
 * Throws one line naming the file, the line and the reason; the token itself
 * never appears in a message.
 */
export function parseAuthFile(file: string, text: string): AuthFile {
  try {
    return parseChecked(text);
  } catch (error) {
    if (error instanceof FileProblem) throw new Error(`--auth-token-file ${file} line ${lineOf(text, error.offset)}: ${error.message}`);
    throw error;
  }
}

function parseChecked(text: string): AuthFile {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first !== undefined) throw new FileProblem(first.offset, `not valid JSON (${describeParseError(printParseErrorCode(first.error))})`);
  if (root === undefined || root.type !== "object") throw new FileProblem(0, 'expected a JSON object {"roles": {...}, "tokens": [...]}');
  const fields = objectFields(root, "the file", ["roles", "tokens"]);
  const rolesNode = fields.get("roles");
  const tokensNode = fields.get("tokens");
  if (rolesNode === undefined) throw new FileProblem(root.offset, 'missing "roles" (an object of role name → grants)');
  if (tokensNode === undefined) throw new FileProblem(root.offset, 'missing "tokens" (an array of {"name", "token", "roles"})');
  const roles = parseRoles(rolesNode);
  const tokens = parseTokens(tokensNode, roles);
  return { roles, tokens };
}

function parseRoles(node: Node): Map<string, KeyGrant[]> {
  if (node.type !== "object") throw new FileProblem(node.offset, '"roles" must be an object of role name → array of grants');
  const properties = node.children ?? [];
  if (properties.length > authFileLimits.maxRoles)
    throw new FileProblem(node.offset, `${properties.length} roles, over the limit of ${authFileLimits.maxRoles}`);
  const roles = new Map<string, KeyGrant[]>();
  for (const property of properties) {
    const [nameNode, grantsNode] = property.children ?? [];
    const name = stringValue(nameNode);
    if (nameNode === undefined || grantsNode === undefined || name === undefined) throw new FileProblem(property.offset, "malformed role");
    checkName(nameNode, "role name", name);
    if (roles.has(name)) throw new FileProblem(nameNode.offset, `role ${JSON.stringify(name)} is defined twice`);
    roles.set(name, parseGrants(name, grantsNode));
  }
  return roles;
}

function parseGrants(role: string, node: Node): KeyGrant[] {
  if (node.type !== "array") throw new FileProblem(node.offset, `role ${JSON.stringify(role)}: expected an array of {"prefix", "permission"}`);
  const items = node.children ?? [];
  if (items.length > authFileLimits.maxGrantsPerRole) {
    throw new FileProblem(node.offset, `role ${JSON.stringify(role)}: ${items.length} grants, over the limit of ${authFileLimits.maxGrantsPerRole}`);
  }
  return items.map((item) => {
    if (item.type !== "object")
      throw new FileProblem(item.offset, `role ${JSON.stringify(role)}: each grant is {"prefix": "...", "permission": "read|write|admin"}`);
    const fields = objectFields(item, `a grant of role ${JSON.stringify(role)}`, ["prefix", "permission"]);
    const prefixNode = fields.get("prefix");
    const permissionNode = fields.get("permission");
    const prefix = stringValue(prefixNode);
    const permission = stringValue(permissionNode);
    if (prefixNode === undefined || prefix === undefined) {
      throw new FileProblem(prefixNode?.offset ?? item.offset, `role ${JSON.stringify(role)}: a grant needs "prefix" (a string; "" is every key)`);
    }
    if (permissionNode === undefined || permission === undefined || !isPermission(permission)) {
      throw new FileProblem(
        permissionNode?.offset ?? item.offset,
        `role ${JSON.stringify(role)}: "permission" must be one of ${permissions.join(", ")}${permission === undefined ? "" : `, got ${JSON.stringify(permission)}`}`,
      );
    }
    const bytes = utf8.encode(prefix);
    if (bytes.length > authFileLimits.maxPrefixBytes) {
      throw new FileProblem(
        prefixNode.offset,
        `role ${JSON.stringify(role)}: prefix is ${bytes.length} bytes, over the limit of ${authFileLimits.maxPrefixBytes}`,
      );
    }
    // Admin also grants the operations on the whole cluster; on a narrower prefix it would be a trap.
    if (permission === "admin" && bytes.length > 0) {
      throw new FileProblem(
        permissionNode.offset,
        `role ${JSON.stringify(role)}: "admin" applies to the whole key space (prefix ""), not to ${JSON.stringify(prefix)}; use "write" for a prefix`,
      );
    }
    return { prefix: bytes, permission };
  });
}

function parseTokens(node: Node, roles: ReadonlyMap<string, readonly KeyGrant[]>): TokenEntry[] {
  if (node.type !== "array") throw new FileProblem(node.offset, '"tokens" must be an array of {"name", "token", "roles"}');
  const items = node.children ?? [];
  if (items.length > authFileLimits.maxTokens) throw new FileProblem(node.offset, `${items.length} tokens, over the limit of ${authFileLimits.maxTokens}`);
  const names = new Set<string>();
  const secrets = new Set<string>();
  return items.map((item) => {
    if (item.type !== "object") throw new FileProblem(item.offset, 'each token is {"name": "...", "token": "...", "roles": [...]}');
    const fields = objectFields(item, "a token", ["name", "token", "roles"]);
    const nameNode = fields.get("name");
    const tokenNode = fields.get("token");
    const rolesNode = fields.get("roles");
    const name = stringValue(nameNode);
    if (nameNode === undefined || name === undefined) throw new FileProblem(item.offset, 'a token needs "name" (a string)');
    checkName(nameNode, "token name", name);
    if (names.has(name)) throw new FileProblem(nameNode.offset, `token name ${JSON.stringify(name)} is used twice`);
    names.add(name);
    const token = stringValue(tokenNode);
    if (tokenNode === undefined || token === undefined) throw new FileProblem(item.offset, `token ${JSON.stringify(name)}: needs "token" (a string)`);
    if (token.length < authFileLimits.minTokenChars || token.length > authFileLimits.maxTokenChars) {
      throw new FileProblem(
        tokenNode.offset,
        `token ${JSON.stringify(name)}: the token is ${token.length} characters; it must be ${authFileLimits.minTokenChars} to ${authFileLimits.maxTokenChars} (e.g. openssl rand -hex 32)`,
      );
    }
    if (/\s/.test(token)) throw new FileProblem(tokenNode.offset, `token ${JSON.stringify(name)}: the token must not contain white space`);
    if (secrets.has(token)) throw new FileProblem(tokenNode.offset, `token ${JSON.stringify(name)}: the same token is listed under another name`);
    secrets.add(token);
    if (rolesNode === undefined || rolesNode.type !== "array") {
      throw new FileProblem(rolesNode?.offset ?? item.offset, `token ${JSON.stringify(name)}: needs "roles" (an array of role names)`);
    }
    const roleNodes = rolesNode.children ?? [];
    if (roleNodes.length > authFileLimits.maxRolesPerToken) {
      throw new FileProblem(rolesNode.offset, `token ${JSON.stringify(name)}: ${roleNodes.length} roles, over the limit of ${authFileLimits.maxRolesPerToken}`);
    }
    const tokenRoles = roleNodes.map((roleNode) => {
      const role = stringValue(roleNode);
      if (role === undefined) throw new FileProblem(roleNode.offset, `token ${JSON.stringify(name)}: role names are strings`);
      if (!roles.has(role)) {
        throw new FileProblem(roleNode.offset, `token ${JSON.stringify(name)}: role ${JSON.stringify(role)} is not defined in "roles"`);
      }
      return role;
    });
    return { name, token, roles: tokenRoles };
  });
}

/** The properties of an object node by name; an unknown or repeated property is a problem (typos must not pass silently). */
function objectFields(node: Node, what: string, known: readonly string[]): Map<string, Node> {
  const fields = new Map<string, Node>();
  for (const property of node.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    const key = stringValue(keyNode);
    if (keyNode === undefined || valueNode === undefined || key === undefined) throw new FileProblem(property.offset, `malformed property in ${what}`);
    if (!known.includes(key)) {
      throw new FileProblem(keyNode.offset, `unknown field ${JSON.stringify(key)} in ${what} (known: ${known.map((k) => JSON.stringify(k)).join(", ")})`);
    }
    if (fields.has(key)) throw new FileProblem(keyNode.offset, `field ${JSON.stringify(key)} appears twice in ${what}`);
    fields.set(key, valueNode);
  }
  return fields;
}

function stringValue(node: Node | undefined): string | undefined {
  if (node === undefined || node.type !== "string") return undefined;
  const value: unknown = node.value;
  return typeof value === "string" ? value : undefined;
}

function checkName(node: Node, what: string, name: string): void {
  const bytes = utf8.encode(name).length;
  if (bytes === 0 || bytes > authFileLimits.maxNameBytes) {
    throw new FileProblem(node.offset, `${what} ${JSON.stringify(name.slice(0, 40))} must be 1 to ${authFileLimits.maxNameBytes} bytes`);
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function describeParseError(code: string): string {
  // "CommaExpected" → "comma expected"
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}
