import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { CommandSchema } from "../../src/gen/raftkv/v1/command_pb.ts";
import { TxnRequestSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import type { Entry } from "../../src/raft/entry.ts";

/** Builders for log entries carrying KV commands, shared by the FSM tests. */
const encoder = new TextEncoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(data: Uint8Array | undefined): string | undefined {
  return data === undefined ? undefined : new TextDecoder().decode(data);
}

export function putEntry(
  index: number,
  key: Uint8Array | string,
  value: Uint8Array | string,
  opts: { term?: number; lease?: bigint; prevKv?: boolean } = {},
): Entry {
  const command = create(CommandSchema, {
    op: {
      case: "put",
      value: {
        key: typeof key === "string" ? bytes(key) : key,
        value: typeof value === "string" ? bytes(value) : value,
        lease: opts.lease ?? 0n,
        prevKv: opts.prevKv ?? false,
      },
    },
  });
  return { index, term: opts.term ?? 1, kind: "normal", data: toBinary(CommandSchema, command) };
}

export function deleteEntry(index: number, key: Uint8Array | string, opts: { term?: number; rangeEnd?: Uint8Array; prevKv?: boolean } = {}): Entry {
  const command = create(CommandSchema, {
    op: {
      case: "delete",
      value: {
        key: typeof key === "string" ? bytes(key) : key,
        rangeEnd: opts.rangeEnd ?? new Uint8Array(),
        prevKv: opts.prevKv ?? false,
      },
    },
  });
  return { index, term: opts.term ?? 1, kind: "normal", data: toBinary(CommandSchema, command) };
}

export function rawEntry(index: number, data: Uint8Array, term = 1): Entry {
  return { index, term, kind: "normal", data };
}

export function commandEntry(index: number, op: MessageInitShape<typeof CommandSchema>["op"], term = 1): Entry {
  return { index, term, kind: "normal", data: toBinary(CommandSchema, create(CommandSchema, { op })) };
}

export function leaseGrantEntry(index: number, id: bigint, ttlMs: bigint = 10_000n): Entry {
  return commandEntry(index, { case: "leaseGrant", value: { id, ttlMs } });
}

export function leaseRevokeEntry(index: number, id: bigint): Entry {
  return commandEntry(index, { case: "leaseRevoke", value: { id } });
}

export function compactEntry(index: number, compactIndex: bigint): Entry {
  return commandEntry(index, { case: "compact", value: { index: compactIndex } });
}

export function txnEntry(index: number, txn: MessageInitShape<typeof TxnRequestSchema>): Entry {
  return commandEntry(index, { case: "txn", value: create(TxnRequestSchema, txn) });
}
