import { describe, expect, test } from "bun:test";
import { encodeEnvelopePrefix, encodePayloadFrame, FRAME_HEADER_BYTES } from "../../src/transport/frame-codec.ts";
import { FrameReader } from "../../src/transport/frame-reader.ts";

const prefix = encodeEnvelopePrefix("c", "a", "b");

function stream(count: number): { bytes: Uint8Array; bodies: Uint8Array[] } {
  const frames = Array.from({ length: count }, (_, i) => encodePayloadFrame(prefix, new Uint8Array(i * 7).fill(i)));
  const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const frame of frames) {
    bytes.set(frame, offset);
    offset += frame.length;
  }
  return { bytes, bodies: frames.map((f) => f.slice(FRAME_HEADER_BYTES)) };
}

describe("frame reader", () => {
  test("reassembles frames from chunks split at every possible size", () => {
    const { bytes, bodies } = stream(20);
    for (const chunkSize of [1, 2, 3, 4, 5, 7, 13, 64, 1000, bytes.length]) {
      const reader = new FrameReader(1 << 20);
      const seen: Uint8Array[] = [];
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        const outcome = reader.push(bytes.slice(offset, offset + chunkSize), (body) => {
          seen.push(body.slice());
          return true;
        });
        expect(outcome.kind).toBe("ok");
      }
      expect(seen).toEqual(bodies);
      expect(reader.hasPartialFrame).toBe(false);
    }
  });

  test("a length header over the limit is reported before any body is read", () => {
    const reader = new FrameReader(100);
    const header = new Uint8Array([0x7f, 0xff, 0xff, 0xff]);
    let calls = 0;
    const outcome = reader.push(header, () => {
      calls++;
      return true;
    });
    expect(outcome).toEqual({ kind: "oversized", length: 0x7fffffff, limit: 100 });
    expect(calls).toBe(0);
  });

  test("a header split across chunks is checked too", () => {
    const reader = new FrameReader(100);
    expect(reader.push(new Uint8Array([0, 0]), () => true).kind).toBe("ok");
    expect(reader.hasPartialFrame).toBe(true);
    expect(reader.push(new Uint8Array([1, 0]), () => true)).toEqual({ kind: "oversized", length: 256, limit: 100 });
  });

  test("a sink returning false stops reading the chunk", () => {
    const { bytes } = stream(5);
    const reader = new FrameReader(1 << 20);
    let calls = 0;
    const outcome = reader.push(bytes, () => {
      calls++;
      return false;
    });
    expect(outcome.kind).toBe("stopped");
    expect(calls).toBe(1);
  });
});
