import { classifyRangeEnd } from "../../fsm/key-range.ts";
import type { AddNonvoterRequest, AddVoterRequest, DemoteVoterRequest, RemoveServerRequest } from "../../gen/raftkv/v1/cluster_pb.ts";
import type { Compare, DeleteRequest, GetRequest, PutRequest, RangeRequest, RequestOp, TxnRequest, WatchRequest } from "../../gen/raftkv/v1/kv_pb.ts";
import type { LeaseTimeToLiveRequest } from "../../gen/raftkv/v1/lease_pb.ts";
import { type KeySpan, singleKey } from "../../security/key-permissions.ts";
import { rangeInterval } from "../key-interval.ts";

/** One key interval a call touches and what it does there. */
export interface KeyCheck {
  readonly permission: "read" | "write";
  readonly span: KeySpan;
  /** Which part of the request, for the refusal message ("compare[2]"). */
  readonly field: string;
}

/** What a caller needs for one call. */
export type AccessRequirement =
  /** Anyone, even unauthenticated: health and the schema (reflection). */
  | { readonly kind: "open" }
  /** Any authenticated caller. */
  | { readonly kind: "authenticated" }
  /** An admin grant: membership, compaction, lease revocation, snapshots. */
  | { readonly kind: "admin" }
  /** Every interval, with its permission; one missing refuses the whole call. */
  | { readonly kind: "keys"; readonly checks: readonly KeyCheck[] }
  /** Admin, or the member `memberId` itself (a member certificate naming it): joining and leaving. */
  | { readonly kind: "membership"; readonly memberId: string };

const open: AccessRequirement = { kind: "open" };
const authenticated: AccessRequirement = { kind: "authenticated" };
const admin: AccessRequirement = { kind: "admin" };

/** What one method's call needs, from its request. */
export type AccessRule = (request: unknown) => AccessRequirement;
type Rule = AccessRule;

/**
 * Builds a rule for a method whose request type is T. The router hands each
 * method its own request message, so the cast restates what the method path
 * already guarantees.
 */
function rule<T>(requirement: (request: T) => AccessRequirement): Rule {
  return (request) => requirement(request as T);
}

const keys = (...checks: KeyCheck[]): AccessRequirement => ({ kind: "keys", checks });

/** A key with etcd's range_end conventions: empty = the key alone, 0x00 = every key from key on. */
function keyRange(key: Uint8Array, rangeEnd: Uint8Array): KeySpan {
  const bound = classifyRangeEnd(rangeEnd);
  switch (bound.kind) {
    case "single":
      return singleKey(key);
    case "unbounded":
      return { start: key, end: undefined };
    case "before":
      return { start: key, end: bound.end };
    default: {
      const unreachable: never = bound;
      throw new Error(`unknown key bound ${JSON.stringify(unreachable)}`);
    }
  }
}

function compareCheck(compare: Compare, field: string): KeyCheck {
  return { permission: "read", span: keyRange(compare.key, compare.rangeEnd), field };
}

function opChecks(op: RequestOp, field: string): KeyCheck[] {
  switch (op.op.case) {
    case "put":
      return [{ permission: "write", span: singleKey(op.op.value.key), field: `${field}.put` }];
    case "delete":
      return [{ permission: "write", span: keyRange(op.op.value.key, op.op.value.rangeEnd), field: `${field}.delete` }];
    case "get":
      return [{ permission: "read", span: singleKey(op.op.value.key), field: `${field}.get` }];
    case "range": {
      const range = op.op.value;
      return [{ permission: "read", span: rangeInterval(range.prefix, range.start, range.end), field: `${field}.range` }];
    }
    case undefined:
      return [];
    default: {
      const unreachable: never = op.op;
      throw new Error(`unknown txn op ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Every key range a transaction touches, in both branches: a Txn with one forbidden key is refused whole. */
function txnChecks(txn: TxnRequest): KeyCheck[] {
  return [
    ...txn.compare.map((compare, i) => compareCheck(compare, `compare[${i}]`)),
    ...txn.success.flatMap((op, i) => opChecks(op, `success[${i}]`)),
    ...txn.failure.flatMap((op, i) => opChecks(op, `failure[${i}]`)),
  ];
}

function watchSpan(watch: WatchRequest): KeySpan {
  if (watch.prefix) return rangeInterval(watch.key, new Uint8Array(0), new Uint8Array(0));
  if (watch.rangeEnd.length > 0) return keyRange(watch.key, watch.rangeEnd);
  return singleKey(watch.key);
}

const rules: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ["raftkv.v1.KV/Put", rule<PutRequest>((r) => keys({ permission: "write", span: singleKey(r.key), field: "key" }))],
  ["raftkv.v1.KV/Get", rule<GetRequest>((r) => keys({ permission: "read", span: singleKey(r.key), field: "key" }))],
  ["raftkv.v1.KV/Delete", rule<DeleteRequest>((r) => keys({ permission: "write", span: keyRange(r.key, r.rangeEnd), field: "key" }))],
  ["raftkv.v1.KV/Range", rule<RangeRequest>((r) => keys({ permission: "read", span: rangeInterval(r.prefix, r.start, r.end), field: "range" }))],
  ["raftkv.v1.KV/Txn", rule<TxnRequest>((r) => keys(...txnChecks(r)))],
  ["raftkv.v1.KV/Watch", rule<WatchRequest>((r) => keys({ permission: "read", span: watchSpan(r), field: "watch" }))],
  // It names a watch the caller opened; it reveals nothing by itself.
  ["raftkv.v1.KV/RequestProgress", () => authenticated],
  // Drops history of every key.
  ["raftkv.v1.KV/Compact", () => admin],
  ["raftkv.v1.Lease/LeaseGrant", () => authenticated],
  ["raftkv.v1.Lease/LeaseKeepAlive", () => authenticated],
  ["raftkv.v1.Lease/LeaseLeases", () => authenticated],
  // Listing a lease's keys shows keys of any prefix.
  ["raftkv.v1.Lease/LeaseTimeToLive", rule<LeaseTimeToLiveRequest>((r) => (r.keys ? admin : authenticated))],
  // Revoking deletes every attached key, whoever wrote them.
  ["raftkv.v1.Lease/LeaseRevoke", () => admin],
  // Clients read the configuration to find the leader; a joining node reads the status to find the cluster.
  ["raftkv.v1.Cluster/Status", () => authenticated],
  ["raftkv.v1.Cluster/GetConfiguration", () => authenticated],
  ["raftkv.v1.Cluster/VerifyLeader", () => authenticated],
  ["raftkv.v1.Cluster/AddVoter", rule<AddVoterRequest>((r) => ({ kind: "membership", memberId: r.id.trim() }))],
  ["raftkv.v1.Cluster/AddNonvoter", rule<AddNonvoterRequest>((r) => ({ kind: "membership", memberId: r.id.trim() }))],
  ["raftkv.v1.Cluster/DemoteVoter", rule<DemoteVoterRequest>((r) => ({ kind: "membership", memberId: r.id.trim() }))],
  ["raftkv.v1.Cluster/RemoveServer", rule<RemoveServerRequest>((r) => ({ kind: "membership", memberId: r.id.trim() }))],
  ["raftkv.v1.Cluster/TransferLeadership", () => admin],
  ["raftkv.v1.Cluster/Snapshot", () => admin],
  ["raftkv.v1.Cluster/Barrier", () => admin],
  ["raftkv.v1.Diagnostics/Echo", () => authenticated],
]);

/** Services every caller may use: health probes and the schema (what grpcurl needs to list services). */
const openServices = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/**
 * What a call to `service/method` with `request` needs. A method nobody
 * wrote a rule for needs admin: a new RPC is closed until someone decides.
 */
export function accessRequirementOf(service: string, method: string, request: unknown): AccessRequirement {
  return accessRuleOf(service, method)(request);
}

/** The rule of one method, looked up once (the guard does it when it wraps the method). */
export function accessRuleOf(service: string, method: string): AccessRule {
  if (openServices.has(service)) return () => open;
  return rules.get(`${service}/${method}`) ?? (() => admin);
}
