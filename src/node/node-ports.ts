import { ClientListener } from "../server/client-listener.ts";
import type { PeerTls } from "../transport/peer-tls.ts";
import { RaftListener } from "../transport/raft-listener.ts";
import type { HostPort } from "./node-config.ts";

/** A node's two listening ports, bound before its data dir is touched. */
export interface NodePorts {
  readonly client: ClientListener;
  readonly raft: RaftListener;
}

/**
 * Binds the client port, then the Raft port; throws one line naming the
 * address that could not be bound, holding neither. Done first so that a
 * port in use fails a start that created and bootstrapped nothing.
 */
export async function bindNodePorts(listen: HostPort, raftListen: HostPort, peerTls?: PeerTls): Promise<NodePorts> {
  const client = await ClientListener.bind(listen.host, listen.port);
  try {
    return { client, raft: RaftListener.bind(raftListen.host, raftListen.port, peerTls) };
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** Releases ports a failed start still holds; harmless for ports the engine or server already closed. */
export async function releaseNodePorts(ports: NodePorts): Promise<void> {
  ports.raft.stop();
  await ports.client.close();
}

/** An advertised host:port whose port is 0 means "the port actually bound". */
export function withBoundPort(address: string, port: number): string {
  return address.endsWith(":0") ? `${address.slice(0, -2)}:${port}` : address;
}
