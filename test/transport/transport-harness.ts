import type { Socket } from "bun";
import { PeerTransport, type PeerTransportOptions } from "../../src/transport/peer-transport.ts";
import { eventually } from "../support/eventually.ts";

export const TEST_CLUSTER = "cluster-test";

/** How often transport tests poll: loopback sockets answer within milliseconds, so waits stay short. */
export const transportPollMs = 5;

export interface ReceivedMessage {
  readonly from: string;
  readonly payload: Uint8Array;
}

/** Messages a transport delivered, with a way to wait for more. */
export class Inbox {
  readonly messages: ReceivedMessage[] = [];

  push(from: string, payload: Uint8Array): void {
    this.messages.push({ from, payload });
  }

  async waitForCount(count: number, timeoutMs = 5000): Promise<void> {
    await eventually(
      () => `inbox has ${this.messages.length} of ${count} messages`,
      () => this.messages.length >= count,
      timeoutMs,
      transportPollMs,
    );
  }

  texts(): string[] {
    return this.messages.map((m) => `${m.from}:${new TextDecoder().decode(m.payload)}`);
  }
}

export interface TestNode {
  readonly transport: PeerTransport;
  readonly inbox: Inbox;
  readonly address: string;
}

export async function startNode(selfId: string, overrides: Partial<Omit<PeerTransportOptions, "onMessage" | "selfId">> = {}): Promise<TestNode> {
  const inbox = new Inbox();
  const transport = await PeerTransport.listen({
    clusterId: TEST_CLUSTER,
    selfId,
    host: "127.0.0.1",
    port: 0,
    reconnectInitialMs: 10,
    reconnectMaxMs: 100,
    ...overrides,
    onMessage: (from, payload) => inbox.push(from, payload),
  });
  return { transport, inbox, address: `127.0.0.1:${transport.port}` };
}

/** Makes every node a peer of every other. */
export function meshPeers(nodes: readonly TestNode[]): void {
  for (const a of nodes) {
    for (const b of nodes) {
      if (a !== b) a.transport.setPeer(b.transport.selfId, b.address);
    }
  }
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** Deterministic garbage (xorshift32), so a failing run replays exactly. */
export function garbage(length: number, seed: number): Uint8Array {
  let state = seed;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** A plain TCP client that writes whatever a test wants and reports when the server closes it. */
export class RawPeerSocket {
  private constructor(
    private readonly socket: Socket<undefined>,
    readonly closed: Promise<void>,
    private readonly isClosed: () => boolean,
  ) {}

  static async connect(port: number): Promise<RawPeerSocket> {
    let markClosed: () => void = () => {};
    let closedFlag = false;
    const closed = new Promise<void>((resolve) => {
      markClosed = () => {
        closedFlag = true;
        resolve();
      };
    });
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: () => {},
        close: () => markClosed(),
        end: () => markClosed(),
        error: () => markClosed(),
      },
    });
    return new RawPeerSocket(socket, closed, () => closedFlag);
  }

  get isOpen(): boolean {
    return !this.isClosed();
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  end(): void {
    this.socket.end();
  }

  /** Resolves when the server closed the connection; throws if it stays open. */
  async expectClosedWithin(timeoutMs: number): Promise<void> {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`server did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
