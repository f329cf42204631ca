import { timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import type { Principal } from "./principal.ts";

const memoKey = Symbol("raftkv.connectionToken");

interface Memo {
  /** TokenStore generation the answer came from: a reload forgets it. */
  readonly generation: number;
  readonly header: Buffer;
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
  const presented = Buffer.from(header, "utf8");
  if (presented.length !== memo.header.length || !timingSafeEqual(presented, memo.header)) return undefined;
  return memo.principal;
}

export function rememberPrincipal(socket: Socket | undefined, header: string, generation: number, principal: Principal): void {
  if (socket === undefined) return;
  (socket as Socket & MemoSocket)[memoKey] = { generation, header: Buffer.from(header, "utf8"), principal };
}
