import { create } from "@bufbuild/protobuf";
import { CompareOp, type TxnRequest, TxnRequestSchema } from "../../gen/raftkv/v1/kv_pb.ts";
import { invalidArgument } from "../validation.ts";

/**
 * The `cas` query parameter of a REST write (Consul's check-and-set): the
 * modify index the key must still have; 0 = create only. undefined when absent.
 */
export function parseCasIndex(text: string | null): bigint | undefined {
  if (text === null) return undefined;
  if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) > 0xffff_ffff_ffff_ffffn) {
    throw invalidArgument("cas", `must be a modify index (0 = create only), got ${JSON.stringify(text)}`);
  }
  return BigInt(text);
}

/**
 * A put that happens only while the key's mod_index equals `modIndex`. A
 * missing key has mod_index 0, so 0 means "only if absent".
 */
export function casPutRequest(key: Uint8Array, value: Uint8Array, modIndex: bigint): TxnRequest {
  return create(TxnRequestSchema, {
    compare: [{ key, op: CompareOp.EQUAL, target: { case: "modIndex", value: modIndex } }],
    success: [{ op: { case: "put", value: { key, value } } }],
  });
}
