import type { Socket } from "node:net";
import type { Principal } from "./principal.ts";

const memoKey = Symbol("raftkv.connectionToken");

interface Memo {
  /** TokenStore generation the answer came from: a reload forgets it. */
  readonly generation: number;
  readonly header: string;
  readonly principal: Principal;
}

interface MemoSocket {
  [memoKey]?: Memo;
}

/**
 * The last authorization header a connection authenticated with, and who it
 * proved: a client sends the same token on every call of a connection, and
 * hashing it again each time was most of what auth cost per call. The
 * comparison is constant-time (a proxy may carry several callers on one
 * connection, so a guess must not learn a prefix of someone else's header).
 */
export function rememberedPrincipal(socket: Socket | undefined, header: string, generation: number): Principal | undefined {
  const memo = socket === undefined ? undefined : (socket as Socket & MemoSocket)[memoKey];
  if (memo === undefined || memo.generation !== generation) return undefined;
  return sameText(header, memo.header) ? memo.principal : undefined;
}

export function rememberPrincipal(socket: Socket | undefined, header: string, generation: number, principal: Principal): void {
  if (socket === undefined) return;
  (socket as Socket & MemoSocket)[memoKey] = { generation, header, principal };
}

/** Equal strings, in time that depends on the length only (no early exit at the first difference). */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
