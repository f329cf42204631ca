import http2 from "node:http2";
import net from "node:net";

/** A plain TCP connection to the client port that reports when the server closes it (FIN or reset). */
export class HeldSocket {
  private closedBy: "server" | "test" | undefined;
  readonly received: Buffer[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {
      // A reset at accept is what the test waits for; 'close' follows.
    });
    socket.on("data", (chunk: Buffer) => this.received.push(chunk));
    socket.once("end", () => (this.closedBy ??= "server"));
    socket.once("close", () => (this.closedBy ??= "server"));
  }

  /** Connects; resolves once connected, or once refused (a connection reset at accept can beat 'connect'). */
  static open(port: number): Promise<HeldSocket> {
    return new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      const held = new HeldSocket(socket);
      socket.once("connect", () => resolve(held));
      socket.once("close", () => resolve(held));
    });
  }

  get closedByServer(): boolean {
    return this.closedBy === "server";
  }

  get text(): string {
    return Buffer.concat(this.received).toString("latin1");
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  release(): void {
    this.closedBy ??= "test";
    this.socket.destroy();
  }
}

/** An HTTP/2 session that has received the server's SETTINGS. */
export function openSession(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.once("remoteSettings", () => resolve(session));
    session.once("error", reject);
  });
}

export interface H2Answer {
  readonly status: number;
  readonly body: string;
}

/** One request on an open session; resolves with status and body once the stream ends. */
export function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    let text = "";
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("end", () => resolve({ status, body: text }));
    stream.on("error", reject);
    stream.end(body);
  });
}

/** A Connect JSON Put of a text key and value over HTTP/2. */
export function h2Put(session: http2.ClientHttp2Session, key: string, value: string): Promise<H2Answer> {
  return h2Request(
    session,
    { ":method": "POST", ":path": "/raftkv.v1.KV/Put", "content-type": "application/json" },
    JSON.stringify({ key: btoa(key), value: btoa(value) }),
  );
}

/** Resolves with `promise`'s value, or rejects naming `what` when it takes longer than `ms` (a generous bound, not a measurement). */
export async function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
