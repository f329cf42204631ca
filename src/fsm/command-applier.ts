import type { Database } from "bun:sqlite";
import { fromBinary } from "@bufbuild/protobuf";
import {
  type AlarmCommand,
  type Command,
  CommandSchema,
  type CompactCommand,
  type DeleteCommand,
  type LeaseGrantCommand,
  type LeaseRevokeCommand,
  type PutCommand,
} from "../gen/raftkv/v1/command_pb.ts";
import type { TxnRequest } from "../gen/raftkv/v1/kv_pb.ts";
import { errorMessage } from "../log/error-message.ts";
import type { Entry } from "../raft/entry.ts";
import { CommandRefusal } from "./command-refusal.ts";
import type { KeySpaceWriter } from "./key-space-writer.ts";
import { type AlarmRow, type KvStatements, toQuotaAlarm } from "./kv-schema.ts";
import type { ApplyResult, QuotaAlarm } from "./kv-types.ts";
import { leaseGrantProblem, leaseProblem } from "./lease-rules.ts";
import { growsStore, quotaRefusalMessage } from "./quota-rules.ts";
import { runTxn, type TxnReads } from "./txn-runner.ts";

/**
 * Applies one log entry inside the batch's SQLite transaction. Every refusal
 * is deterministic (it depends on the command and the state only) and writes
 * nothing: single-statement commands check before writing; a txn runs in a
 * savepoint, because it may find a problem after some of its writes.
 */
export class CommandApplier {
  readonly #db: Database;
  readonly #stmt: KvStatements;
  readonly #writer: KeySpaceWriter;
  /** The replicated alarm, read once per connection and then kept current by alarm commands. */
  #alarm: QuotaAlarm;

  constructor(db: Database, stmt: KvStatements, writer: KeySpaceWriter) {
    this.#db = db;
    this.#stmt = stmt;
    this.#writer = writer;
    this.#alarm = toQuotaAlarm(stmt.selectAlarm.get() as AlarmRow | null);
  }

  /** The quota alarm as of the last applied entry. */
  get alarm(): QuotaAlarm {
    return this.#alarm;
  }

  /** `reads`: how a transaction's read operations are evaluated (see TxnReads). */
  apply(entry: Entry, reads: TxnReads): ApplyResult {
    this.#writer.beginEntry(entry.index);
    switch (entry.kind) {
      case "noop":
        return { kind: "none", index: entry.index };
      case "config":
        this.#stmt.upsertConfig.run(entry.index, entry.term, entry.data);
        return { kind: "none", index: entry.index };
      case "normal":
        return this.#applyCommand(entry.index, entry.data, reads);
      default:
        return assertNever(entry.kind);
    }
  }

  #applyCommand(index: number, data: Uint8Array, reads: TxnReads): ApplyResult {
    let command: Command;
    try {
      command = fromBinary(CommandSchema, data);
    } catch (err) {
      return { kind: "error", index, message: `entry ${index}: undecodable command: ${errorMessage(err)}` };
    }
    try {
      // Decided here, from replicated state only, so every member refuses the same entries.
      if (this.#alarm.active && growsStore(command.op)) throw new CommandRefusal(quotaRefusalMessage(this.#alarm), "quota");
      switch (command.op.case) {
        case "put":
          return this.#put(index, command.op.value);
        case "delete":
          return this.#delete(index, command.op.value);
        case "txn":
          return this.#txn(index, command.op.value, reads);
        case "leaseGrant":
          return this.#leaseGrant(index, command.op.value);
        case "leaseRevoke":
          return this.#leaseRevoke(index, command.op.value);
        case "compact":
          return this.#compact(index, command.op.value);
        case "alarm":
          return this.#setAlarm(index, command.op.value);
        case undefined:
          throw new CommandRefusal("command has no operation");
        default:
          return assertNever(command.op);
      }
    } catch (err) {
      if (err instanceof CommandRefusal) {
        const message = `entry ${index}: ${err.message}`;
        return err.code === undefined ? { kind: "error", index, message } : { kind: "error", index, message, code: err.code };
      }
      throw err;
    }
  }

  #put(index: number, put: PutCommand): ApplyResult {
    if (put.key.length === 0) throw new CommandRefusal("put with an empty key");
    const problem = leaseProblem(put.lease, this.#stmt);
    if (problem !== undefined) throw new CommandRefusal(`put: ${problem}`);
    const prev = this.#writer.put(put.key, put.value, put.lease, put.prevKv);
    return prev === undefined ? { kind: "put", index } : { kind: "put", index, prev };
  }

  #delete(index: number, del: DeleteCommand): ApplyResult {
    if (del.key.length === 0 && del.rangeEnd.length === 0) throw new CommandRefusal("delete with an empty key");
    const prevs = this.#writer.delete(del.key, del.rangeEnd);
    return { kind: "delete", index, deleted: prevs.length, prevs: del.prevKv ? prevs : [] };
  }

  #txn(index: number, txn: TxnRequest, reads: TxnReads): ApplyResult {
    const eventsBefore = this.#writer.eventCount();
    try {
      // Nested in the batch's transaction, bun:sqlite runs this as a SAVEPOINT.
      const outcome = this.#db.transaction(() => runTxn(txn, this.#stmt, this.#writer, reads))();
      return { kind: "txn", index, succeeded: outcome.succeeded, responses: outcome.responses };
    } catch (err) {
      this.#writer.dropEventsFrom(eventsBefore);
      if (err instanceof CommandRefusal) throw new CommandRefusal(`txn refused: ${err.message}`);
      throw err;
    }
  }

  #leaseGrant(index: number, grant: LeaseGrantCommand): ApplyResult {
    const problem = leaseGrantProblem(grant.id, grant.ttlMs, this.#stmt);
    if (problem !== undefined) throw new CommandRefusal(`lease grant: ${problem}`);
    this.#stmt.insertLease.run(grant.id, grant.ttlMs, index);
    return { kind: "leaseGrant", index, id: Number(grant.id), ttlMs: Number(grant.ttlMs) };
  }

  #leaseRevoke(index: number, revoke: LeaseRevokeCommand): ApplyResult {
    if (revoke.id === 0n || this.#stmt.selectLease.get(revoke.id) === null) {
      throw new CommandRefusal(`lease revoke: lease ${revoke.id} does not exist`);
    }
    const deleted = this.#writer.deleteLeaseKeys(revoke.id);
    this.#stmt.deleteLease.run(revoke.id);
    return { kind: "leaseRevoke", index, id: Number(revoke.id), deleted: deleted.length };
  }

  #setAlarm(index: number, alarm: AlarmCommand): ApplyResult {
    const memberId = alarm.memberId.slice(0, 256);
    this.#stmt.upsertAlarm.run(alarm.active ? 1 : 0, Number(alarm.usedBytes), Number(alarm.quotaBytes), memberId, index);
    // A batch that fails after this line rolls the row back but not this copy: the engine stops on such
    // a failure, and a restart (or restore) builds a new applier that reads the row again.
    this.#alarm = { active: alarm.active, usedBytes: Number(alarm.usedBytes), quotaBytes: Number(alarm.quotaBytes), memberId, index };
    return { kind: "alarm", index, active: alarm.active };
  }

  /**
   * Drops history below the asked index (at most this entry's index: there is
   * nothing newer to drop). Asking for an index at or below the current
   * compaction is a no-op that answers the current one, so automatic
   * compaction from several proposers cannot fail.
   */
  #compact(index: number, compact: CompactCommand): ApplyResult {
    if (compact.index > BigInt(index)) {
      throw new CommandRefusal(`compact: index ${compact.index} is above this entry's index ${index}`);
    }
    const current = (this.#stmt.selectCompactIndex.get() as { compact_index: number } | null)?.compact_index ?? 1;
    const target = Number(compact.index);
    if (target <= current) return { kind: "compact", index, compactIndex: current };
    this.#stmt.deleteHistoryBefore.run(target);
    this.#stmt.updateCompactIndex.run(target);
    return { kind: "compact", index, compactIndex: target };
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
