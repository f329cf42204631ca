import type { Http2Session } from "node:http2";
import type { Socket } from "node:net";

/**
 * Knows every open socket, which HTTP/1.1 sockets are mid-request, every
 * HTTP/2 session and how many calls are in flight, so a graceful close can
 * stop new work, let in-flight calls finish, and then cut what is left.
 */
export class ConnectionTracker {
  private readonly sockets = new Set<Socket>();
  private readonly http1Busy = new Map<Socket, number>();
  private readonly sessions = new Set<Http2Session>();
  private readonly http2Sockets = new Set<Socket>();
  private inFlight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  get isDraining(): boolean {
    return this.draining;
  }

  addSocket(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.http1Busy.delete(socket);
    });
  }

  /** A connection now carried by another socket (TLS over the accepted one): track that one instead. */
  replaceSocket(previous: Socket, next: Socket): void {
    this.sockets.delete(previous);
    this.addSocket(next);
  }

  addSession(session: Http2Session): void {
    this.sessions.add(session);
    session.once("close", () => this.sessions.delete(session));
    if (this.draining) session.close();
  }

  /** Counts one call until `done` fires; `socket` is set for HTTP/1.1 calls. */
  beginCall(done: { once(event: "close", listener: () => void): unknown }, http1Socket?: Socket): void {
    this.inFlight += 1;
    if (http1Socket !== undefined) this.http1Busy.set(http1Socket, (this.http1Busy.get(http1Socket) ?? 0) + 1);
    done.once("close", () => {
      this.inFlight -= 1;
      if (http1Socket !== undefined) {
        const left = (this.http1Busy.get(http1Socket) ?? 1) - 1;
        if (left > 0) {
          this.http1Busy.set(http1Socket, left);
        } else {
          this.http1Busy.delete(http1Socket);
          // A keep-alive socket that goes idle while draining would otherwise
          // stay open until the grace period ends; end() lets the answer flush.
          if (this.draining) http1Socket.end();
        }
      }
      if (this.inFlight === 0) this.releaseIdleWaiters();
    });
  }

  /**
   * Stops taking new work: GOAWAY to HTTP/2 sessions (streams already open
   * finish), idle HTTP/1.1 and not-yet-sniffed sockets are closed.
   */
  startDraining(): void {
    this.draining = true;
    for (const session of this.sessions) session.close();
    for (const socket of this.sockets) {
      if (!this.http1Busy.has(socket) && !this.isHttp2Socket(socket)) socket.destroy();
    }
  }

  /** Resolves once no call is in flight. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
  }

  markHttp2(socket: Socket): void {
    this.http2Sockets.add(socket);
    socket.once("close", () => this.http2Sockets.delete(socket));
  }

  private isHttp2Socket(socket: Socket): boolean {
    return this.http2Sockets.has(socket);
  }

  private releaseIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
