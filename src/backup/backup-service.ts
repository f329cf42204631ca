import { open } from "node:fs/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { KvRaftEngine } from "../engine/engine-launcher.ts";
import { BackupInfoSchema, type Maintenance } from "../gen/raftkv/v1/maintenance_pb.ts";
import type { Logger } from "../log/logger.ts";
import { toConnectError } from "../service/engine-error-to-connect.ts";
import { responseHeader } from "../service/response-messages.ts";
import type { FileSnapshotStore } from "../storage/snapshot-store.ts";
import { buildInfo } from "../version/build-info.ts";
import { readCopyFacts } from "./copy-facts.ts";

/** Bytes per data message: well under every gRPC client's default 4 MiB message limit. */
const CHUNK_BYTES = 256 * 1024;

export interface BackupServiceParts {
  readonly engine: KvRaftEngine;
  /** The node's snapshot store: a backup is a snapshot taken now, streamed from its file. */
  readonly snapshots: FileSnapshotStore;
  readonly clusterId: string;
  readonly logger?: Logger;
}

/**
 * Maintenance.Backup. A linearizable read barrier first (a quorum round;
 * a follower asks the leader), then a snapshot of the state machine on this
 * node (the engine's own, so it never races a snapshot being installed, and
 * taken in a Worker while applies go on): its index is at or past the
 * barrier's, so the copy holds every write acknowledged before the call.
 * The snapshot's file is opened before its first byte is sent, so pruning
 * old snapshots meanwhile cannot cut the stream short.
 */
export function createMaintenanceService(parts: BackupServiceParts): ServiceImpl<typeof Maintenance> {
  const { engine, snapshots } = parts;
  return {
    async *backup(_request, context) {
      let index: number;
      try {
        await engine.readBarrier("linearizable", context.signal);
        index = await engine.admin.snapshotNow();
      } catch (error) {
        throw toConnectError(error);
      }
      const meta = snapshots.list().find((m) => m.index === index);
      if (meta === undefined) throw new ConnectError(`the snapshot at index ${index} is no longer in ${snapshots.dir}; retry`, Code.Unavailable);
      const opened = await snapshots.open(meta.id);
      const handle = await open(opened.path, "r");
      try {
        const facts = await readCopyFacts(opened.path);
        const status = engine.status();
        parts.logger?.info("streaming a backup", { index: meta.index, bytes: meta.size, keys: facts.keys });
        yield {
          item: {
            case: "info",
            value: create(BackupInfoSchema, {
              header: responseHeader(status, meta.index),
              index: BigInt(meta.index),
              term: BigInt(meta.term),
              size: BigInt(meta.size),
              sha256: meta.checksum,
              keys: BigInt(facts.keys),
              clusterId: parts.clusterId,
              memberId: engine.id,
              compactIndex: BigInt(facts.compactIndex),
              raftkvVersion: buildInfo().version,
              createdAtUnixMs: BigInt(Date.now()),
            }),
          },
        };
        let offset = 0;
        while (offset < meta.size && !context.signal.aborted) {
          const buffer = new Uint8Array(Math.min(CHUNK_BYTES, meta.size - offset));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          if (bytesRead === 0) throw new ConnectError(`snapshot ${meta.id} ended at ${offset} of ${meta.size} bytes`, Code.DataLoss);
          offset += bytesRead;
          yield { item: { case: "data", value: buffer.subarray(0, bytesRead) } };
        }
      } finally {
        await handle.close();
      }
    },
  };
}
