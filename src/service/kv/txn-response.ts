import { create } from "@bufbuild/protobuf";
import type { TxnOpResult } from "../../fsm/kv-types.ts";
import {
  DeleteResponseSchema,
  GetResponseSchema,
  PutResponseSchema,
  RangeResponseSchema,
  type RequestOp,
  type ResponseHeader,
  type ResponseOp,
  ResponseOpSchema,
} from "../../gen/raftkv/v1/kv_pb.ts";
import { keyValueOf } from "../response-messages.ts";

/**
 * The answer to one operation of the branch that ran. `request` is the
 * operation it answers (same position in the branch), consulted for how to
 * present it (keys only).
 */
export function responseOpOf(result: TxnOpResult, request: RequestOp | undefined, header: ResponseHeader, index: number): ResponseOp {
  switch (result.kind) {
    case "put":
      return create(ResponseOpSchema, {
        op: {
          case: "put",
          value: create(PutResponseSchema, {
            header,
            index: BigInt(index),
            prevKv: result.prev === undefined ? undefined : keyValueOf(result.prev),
          }),
        },
      });
    case "delete":
      return create(ResponseOpSchema, {
        op: {
          case: "delete",
          value: create(DeleteResponseSchema, {
            header,
            index: BigInt(index),
            deleted: BigInt(result.deleted),
            prevKvs: result.prevs.map((kv) => keyValueOf(kv)),
          }),
        },
      });
    case "get":
      return create(ResponseOpSchema, {
        op: {
          case: "get",
          value: create(GetResponseSchema, {
            header,
            found: result.kv !== undefined,
            kv: result.kv === undefined ? undefined : keyValueOf(result.kv),
          }),
        },
      });
    case "range": {
      const keysOnly = request?.op.case === "range" && request.op.value.keysOnly;
      const page = result.result;
      return create(ResponseOpSchema, {
        op: {
          case: "range",
          value: create(RangeResponseSchema, {
            header,
            kvs: page.kvs.map((kv) => keyValueOf(kv, keysOnly)),
            more: page.more,
            nextKey: page.nextKey ?? new Uint8Array(0),
            count: BigInt(page.count),
          }),
        },
      });
    }
    default: {
      const unreachable: never = result;
      throw new Error(`unknown transaction operation result ${JSON.stringify(unreachable)}`);
    }
  }
}
