/** What nghttp -v showed for one stream of the answers. */
export interface StreamFrames {
  readonly id: number;
  /** The response headers (first HEADERS frame). */
  headers: Record<string, string> | undefined;
  /** Trailers (a HEADERS frame after the headers), if any. */
  trailers: Record<string, string> | undefined;
  dataBytes: number;
  ended: boolean;
  /** Whatever broke the order: a frame before the headers or after END_STREAM, a reset. */
  readonly problems: string[];
}

const frameLine = /^\[\s*[\d.]+\] recv (\w+) frame <length=(\d+), flags=0x([0-9a-f]+), stream_id=(\d+)>/;
const headerLine = /^\[\s*[\d.]+\] recv \(stream_id=(\d+)\) ([^:]*:?[^:]*): (.*)$/;
const END_STREAM = 0x1;

/**
 * Reads `nghttp -v` output into the frames each response stream received,
 * checking the order HTTP/2 and gRPC require: HEADERS first, then DATA, then
 * optionally trailers, and nothing after END_STREAM.
 */
export function parseNghttpFrames(output: string): Map<number, StreamFrames> {
  const streams = new Map<number, StreamFrames>();
  const pendingFields = new Map<number, Record<string, string>>();
  const streamOf = (id: number): StreamFrames => {
    let s = streams.get(id);
    if (s === undefined) {
      s = { id, headers: undefined, trailers: undefined, dataBytes: 0, ended: false, problems: [] };
      streams.set(id, s);
    }
    return s;
  };
  for (const line of output.split("\n")) {
    const field = headerLine.exec(line);
    if (field !== null) {
      const id = Number(field[1]);
      const fields = pendingFields.get(id) ?? {};
      fields[field[2] ?? ""] = field[3] ?? "";
      pendingFields.set(id, fields);
      continue;
    }
    const frame = frameLine.exec(line);
    if (frame === null) continue;
    const [type, length, flags, id] = [frame[1] ?? "", Number(frame[2]), Number.parseInt(frame[3] ?? "0", 16), Number(frame[4])];
    if (id === 0) continue;
    const s = streamOf(id);
    if (s.ended && type !== "WINDOW_UPDATE") s.problems.push(`${type} after END_STREAM`);
    switch (type) {
      case "HEADERS": {
        const fields = pendingFields.get(id) ?? {};
        pendingFields.delete(id);
        if (s.headers === undefined) s.headers = fields;
        else if (s.trailers === undefined) s.trailers = fields;
        else s.problems.push("a third HEADERS frame");
        break;
      }
      case "DATA":
        if (s.headers === undefined) s.problems.push("DATA before HEADERS");
        if (s.trailers !== undefined) s.problems.push("DATA after trailers");
        s.dataBytes += length;
        break;
      case "RST_STREAM":
        s.problems.push("RST_STREAM");
        break;
      default:
        break;
    }
    if ((type === "HEADERS" || type === "DATA") && (flags & END_STREAM) !== 0) s.ended = true;
  }
  return streams;
}
