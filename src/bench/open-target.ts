import { ConnectCaller } from "./connect-caller.ts";
import { EtcdTarget } from "./etcd-target.ts";
import { GrpcJsCaller } from "./grpc-js-caller.ts";
import { Http2GrpcCaller } from "./http2-grpc-caller.ts";
import type { KvTarget, TargetSystem } from "./kv-target.ts";
import { RaftkvTarget } from "./raftkv-target.ts";
import type { ClientLibrary, UnaryCaller } from "./unary-caller.ts";

export interface TargetOptions {
  system: TargetSystem;
  /** host:port of the client (gRPC) port. */
  endpoint: string;
  client: ClientLibrary;
  /** HTTP/2 connections to spread requests over. */
  connections: number;
  timeoutMs: number;
}

export function openTarget(options: TargetOptions): KvTarget {
  const caller = openCaller(options);
  switch (options.system) {
    case "raftkv":
      return new RaftkvTarget(caller);
    case "etcd":
      return new EtcdTarget(caller);
    default: {
      const unknown: never = options.system;
      throw new Error(`unknown target system ${String(unknown)}`);
    }
  }
}

function openCaller(options: TargetOptions): UnaryCaller {
  switch (options.client) {
    case "http2":
      return new Http2GrpcCaller(options.endpoint, options.connections, options.timeoutMs);
    case "connect":
      return new ConnectCaller(options.endpoint, options.connections, options.timeoutMs);
    case "grpc-js":
      return new GrpcJsCaller(options.endpoint, options.connections, options.timeoutMs);
    default: {
      const unknown: never = options.client;
      throw new Error(`unknown client library ${String(unknown)}`);
    }
  }
}
