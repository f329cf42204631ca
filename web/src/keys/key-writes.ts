import type { RaftkvClient } from "../../../src/client/index.ts";
import { CompareOp, type KeyValue } from "../../../src/gen/raftkv/v1/kv_pb.ts";

/** A compare-and-swap's outcome: written at an index, or refused because the key moved on. */
export type CasOutcome =
  | { readonly kind: "written"; readonly index: bigint }
  /** The key's mod index was not the expected one: nothing was written; `current` is the key now (undefined: absent). */
  | { readonly kind: "conflict"; readonly current: KeyValue | undefined };

/**
 * Every write the console makes is a compare-and-swap on the mod index the
 * operator last saw (0: the key must not exist), in one Txn: the put or
 * delete only if the key is unchanged, else a read of what it is now, so a
 * conflict is shown and never overwritten.
 */
export async function casPut(client: RaftkvClient, key: Uint8Array, value: Uint8Array, expectedModIndex: bigint): Promise<CasOutcome> {
  return cas(client, key, expectedModIndex, { case: "put", value: { key, value } });
}

export async function casDelete(client: RaftkvClient, key: Uint8Array, expectedModIndex: bigint): Promise<CasOutcome> {
  return cas(client, key, expectedModIndex, { case: "delete", value: { key } });
}

type WriteOp =
  | { readonly case: "put"; readonly value: { key: Uint8Array; value: Uint8Array } }
  | { readonly case: "delete"; readonly value: { key: Uint8Array } };

async function cas(client: RaftkvClient, key: Uint8Array, expectedModIndex: bigint, op: WriteOp): Promise<CasOutcome> {
  const answer = await client.txn({
    compare: [{ key, op: CompareOp.EQUAL, target: { case: "modIndex", value: expectedModIndex } }],
    success: [{ op }],
    failure: [{ op: { case: "get", value: { key } } }],
  });
  if (answer.succeeded) return { kind: "written", index: answer.index };
  const read = answer.responses[0]?.op;
  return { kind: "conflict", current: read?.case === "get" ? read.value.kv : undefined };
}
