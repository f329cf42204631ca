import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { ClientConnectionRejection } from "./client-connection-counts.ts";
import type { ClientConnectionLimits } from "./client-connection-limits.ts";

/**
 * Where an HTTP/1.1 connection is between requests, and so which deadline
 * applies: its headers must arrive within the header timeout, its body
 * within the body timeout, an idle keep-alive connection lasts the idle
 * timeout. While a request's body is complete and its answer is being
 * written (a Watch over gRPC-Web, a blocking query) no deadline applies:
 * those last as long as the client wants them.
 */
type Http1Phase = "headers" | "body" | "answering" | "idle";

export type Http1ClockLimits = Pick<ClientConnectionLimits, "headerTimeoutMs" | "bodyTimeoutMs" | "idleTimeoutMs">;

/** How long an answered request whose body was left unread may take to flush before its socket is cut. */
const unreadBodyLingerMs = 1_000;

/**
 * The deadlines of one HTTP/1.1 connection. Bun's node:http accepts
 * headersTimeout, requestTimeout and keepAliveTimeout but does not enforce
 * them (it only advertises keepAliveTimeout), so they are kept here on the
 * socket: a slow-loris sending headers a byte a second, or a body that
 * stops half way, is cut within seconds.
 */
export class Http1ConnectionClock {
  private phase: Http1Phase = "headers";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = 0;
  private bodyPending: IncomingMessage | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly limits: Http1ClockLimits,
    private readonly cut: (reason: ClientConnectionRejection) => void,
  ) {}

  /** Starts the clock on a connection whose first bytes have arrived (the sniffer saw them): its headers are due. */
  start(): void {
    this.enter("headers");
    this.socket.on("data", this.onData);
    this.socket.once("close", () => this.stopTimer());
  }

  /** Called for each request as its headers are parsed, before any handler. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight += 1;
    if (declaresBody(req) && !req.complete) {
      this.bodyPending = req;
      this.enter("body");
      req.once("end", () => {
        if (this.bodyPending === req) this.bodyPending = undefined;
        if (this.phase === "body") this.enter("answering");
      });
    } else {
      this.enter("answering");
    }
    res.once("close", () => {
      this.inFlight -= 1;
      if (!req.complete) {
        // Answered (413, an error) before its body was read: keeping the connection would mean reading, and
        // buffering, the rest of a body nobody wants. A FIN lets the answer flush; a client that keeps sending is reset.
        this.socket.end();
        // Nothing more of it is read: the client's sends back up into its own buffers.
        this.socket.pause();
        setTimeout(() => this.socket.destroy(), unreadBodyLingerMs).unref();
        return;
      }
      if (this.inFlight === 0 && this.phase !== "body") this.enter("idle");
    });
  }

  private readonly onData = (): void => {
    // The first byte of the next request on a keep-alive connection: its headers are due from now.
    if (this.phase === "idle") this.enter("headers");
  };

  private enter(phase: Http1Phase): void {
    this.phase = phase;
    this.stopTimer();
    switch (phase) {
      case "headers":
        this.timer = setTimeout(() => this.expire("header-timeout"), this.limits.headerTimeoutMs);
        return;
      case "body":
        this.timer = setTimeout(() => this.expire("body-timeout"), this.limits.bodyTimeoutMs);
        return;
      case "answering":
        return;
      case "idle":
        this.timer = setTimeout(() => this.socket.end(), this.limits.idleTimeoutMs);
        return;
      default: {
        const unreachable: never = phase;
        throw new Error(`unknown HTTP/1.1 phase ${String(unreachable)}`);
      }
    }
  }

  private expire(reason: "header-timeout" | "body-timeout"): void {
    this.timer = undefined;
    if (reason === "body-timeout" && this.bodyPending?.complete === true) {
      // The body did arrive; only its 'end' was not read by the handler.
      this.enter("answering");
      return;
    }
    this.cut(reason);
    if (reason === "header-timeout" && this.inFlight === 0 && this.socket.writable) {
      // Nothing else is being written on the connection: the client may as well learn why.
      this.socket.end("HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      setTimeout(() => this.socket.destroy(), unreadBodyLingerMs).unref();
      return;
    }
    this.socket.destroy();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return Number(length) > 0;
  return req.headers["transfer-encoding"] !== undefined;
}
