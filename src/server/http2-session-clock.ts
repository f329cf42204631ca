import http2 from "node:http2";
import type { ClientConnectionRejection } from "./client-connection-counts.ts";
import type { ClientConnectionLimits } from "./client-connection-limits.ts";

export type Http2ClockLimits = Pick<ClientConnectionLimits, "idleTimeoutMs" | "bodyTimeoutMs">;

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_CANCEL } = http2.constants;

/**
 * The deadlines of one HTTP/2 session. A session with no open stream is
 * idle and gets GOAWAY after the idle timeout (a gRPC client redials when it
 * next needs to). A session with any open stream is never idle: a Watch may
 * be quiet for hours. Each stream's request body (every method's request is
 * one message) must be complete within the body timeout, or the stream is
 * reset; the session lives on.
 */
export class Http2SessionClock {
  private openStreams = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly session: http2.ServerHttp2Session,
    private readonly limits: Http2ClockLimits,
    private readonly cut: (reason: ClientConnectionRejection) => void,
  ) {}

  start(): void {
    this.armIdle();
    this.session.once("close", () => {
      this.closed = true;
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    });
  }

  /** Called for every stream as it opens, with the flags of its HEADERS frame. */
  onStream(stream: http2.ServerHttp2Stream, flags: number): void {
    this.openStreams += 1;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    let bodyTimer: ReturnType<typeof setTimeout> | undefined;
    if ((flags & NGHTTP2_FLAG_END_STREAM) === 0) {
      bodyTimer = setTimeout(() => {
        bodyTimer = undefined;
        if (stream.destroyed || stream.closed) return;
        this.cut("body-timeout");
        stream.close(NGHTTP2_CANCEL);
      }, this.limits.bodyTimeoutMs);
      stream.once("end", () => {
        if (bodyTimer !== undefined) clearTimeout(bodyTimer);
        bodyTimer = undefined;
      });
    }
    stream.once("close", () => {
      if (bodyTimer !== undefined) clearTimeout(bodyTimer);
      this.openStreams -= 1;
      if (this.openStreams === 0) this.armIdle();
    });
  }

  private armIdle(): void {
    if (this.closed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      // GOAWAY: the client learns not to open streams here, and redials when it needs one.
      if (this.openStreams === 0 && !this.session.closed && !this.session.destroyed) this.session.close();
    }, this.limits.idleTimeoutMs);
  }
}
