import { create, type DescService, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Applied, Engine } from "../../engine/engine.ts";
import { RaftNotLeaderError } from "../../engine/not-leader-error.ts";
import type { ApplyResult } from "../../fsm/kv-types.ts";
import { CommandSchema } from "../../gen/raftkv/v1/command_pb.ts";
import { toConnectError } from "../engine-error-to-connect.ts";
import { applyRefusalError } from "./apply-refusal.ts";
import { withLeaderAddress } from "./leader-address-wait.ts";
import type { ForwardOptions, LeaderForwarder } from "./leader-forwarder.ts";
import { leaderRefusal } from "./leader-refusal.ts";

/** What a write needs from the engine. */
export type WriteEngine = Pick<Engine, "propose" | "status" | "leaderClientAddress">;

/** The same call made on the leader, through a client of the service it arrived at. */
export type LeaderCall<S extends DescService, T> = (client: Client<S>, options: ForwardOptions) => Promise<T>;

type CommandOp = MessageInitShape<typeof CommandSchema>["op"];

/** The commands a service proposes; each is answered by the apply result of the same name. */
export type ProposedKind = "put" | "delete" | "txn" | "leaseGrant" | "leaseRevoke" | "compact";

/** A command of one kind, as the service encodes it. */
export type ProposedOp<K extends ProposedKind> = Extract<CommandOp, { case: ProposedKind }> & { readonly case: K };

/** The state machine's deterministic refusal of a command (the same on every member). */
export type ApplyRefusal = Extract<ApplyResult, { kind: "error" }>;

/** A command's own result, at the index it applied at. */
export interface AppliedAs<K extends ProposedKind> {
  readonly index: number;
  readonly result: Extract<ApplyResult, { kind: K }>;
}

/** One write: the command, its answer, and the same call for the leader when this node cannot propose it. */
export interface Proposal<S extends DescService, K extends ProposedKind, T> {
  readonly op: ProposedOp<K>;
  readonly onLeader: LeaderCall<S, T>;
  readonly answer: (applied: AppliedAs<K>) => T;
  /** The client's error for a refusal; by default applyRefusalError's. */
  readonly refused?: (refusal: ApplyRefusal) => ConnectError;
}

/** What an applied entry says to the proposal that expected kind K. */
type ResultCheck<K extends ProposedKind> =
  | { readonly kind: "expected"; readonly applied: AppliedAs<K> }
  | { readonly kind: "refused"; readonly refusal: ApplyRefusal }
  | { readonly kind: "unexpected"; readonly index: number; readonly got: ApplyResult["kind"] };

/** How a command is named in the message for a result of another kind. */
const commandNames: Readonly<Record<ProposedKind, string>> = {
  put: "put",
  delete: "delete",
  txn: "transaction",
  leaseGrant: "lease grant",
  leaseRevoke: "lease revoke",
  compact: "compaction",
};

function isKind<K extends ProposedKind>(result: ApplyResult, kind: K): result is Extract<ApplyResult, { kind: K }> {
  return result.kind === kind;
}

function checkResult<K extends ProposedKind>(applied: Applied, kind: K): ResultCheck<K> {
  const result = applied.result;
  if (isKind(result, kind)) return { kind: "expected", applied: { index: applied.index, result } };
  if (result.kind === "error") return { kind: "refused", refusal: result };
  return { kind: "unexpected", index: applied.index, got: result.kind };
}

/**
 * The one way a service changes state: validated input is encoded as a
 * command and proposed here; a follower refused before the command entered
 * any log sends the same call to the leader (so a forward never applies a
 * write twice); every other failure becomes the Connect error a client can
 * act on; and the applied result is checked to be the command's own.
 */
export class WritePath<S extends DescService> {
  constructor(
    private readonly service: S,
    private readonly engine: WriteEngine,
    private readonly forwarder: LeaderForwarder,
  ) {}

  /** Proposes `proposal.op` and answers from its result, or from the leader's answer. */
  async propose<K extends ProposedKind, T>(context: HandlerContext, proposal: Proposal<S, K, T>): Promise<T> {
    const command = toBinary(CommandSchema, create(CommandSchema, { op: proposal.op }));
    let applied: Applied;
    try {
      applied = await this.engine.propose(command, context.signal);
    } catch (error) {
      return this.forwardOrThrow(error, context, proposal.onLeader);
    }
    const kind: K = proposal.op.case;
    const check = checkResult(applied, kind);
    switch (check.kind) {
      case "expected":
        return proposal.answer(check.applied);
      case "refused":
        throw (proposal.refused ?? applyRefusalError)(check.refusal);
      case "unexpected":
        throw new ConnectError(`entry ${check.index}: the state machine answered a ${commandNames[kind]} with a ${check.got} result`, Code.Internal);
      default: {
        const unreachable: never = check;
        throw new Error(`unknown result check ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Runs an operation the engine refuses on a follower (membership changes, barriers), or the same call on the leader. */
  async runOrForward<T>(context: HandlerContext, onLeader: LeaderCall<S, T>, here: () => Promise<T>): Promise<T> {
    try {
      return await here();
    } catch (error) {
      return this.forwardOrThrow(error, context, onLeader);
    }
  }

  /**
   * For calls the leader must answer itself (its clock or its view decides):
   * a follower sends them to the leader before doing anything itself.
   */
  async leaderOnly<T>(context: HandlerContext, onLeader: LeaderCall<S, T>, here: () => Promise<T>): Promise<T> {
    const refusal = leaderRefusal(this.engine);
    if (refusal !== undefined) return this.toLeader(refusal, context, onLeader);
    return here();
  }

  private async forwardOrThrow<T>(error: unknown, context: HandlerContext, onLeader: LeaderCall<S, T>): Promise<T> {
    // Refused before it entered any log: safe to send on.
    if (error instanceof RaftNotLeaderError && !error.proposed) return this.toLeader(error, context, onLeader);
    throw toConnectError(error);
  }

  /** Every forward goes through here: a leader whose address is not recorded yet is waited for first. */
  private async toLeader<T>(refusal: RaftNotLeaderError, context: HandlerContext, onLeader: LeaderCall<S, T>): Promise<T> {
    return this.forwarder.forward(this.service, await withLeaderAddress(this.engine, refusal, context), context, onLeader);
  }
}
