import { describe, expect, test } from "bun:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { PeerFrameSchema, PeerHelloSchema } from "../../src/gen/raftkv/v1/peer_pb.ts";
import {
  bytesEqual,
  decodeFrameBody,
  encodeEnvelopePrefix,
  encodeHelloFrame,
  encodePayloadFrame,
  FRAME_HEADER_BYTES,
  FrameView,
  PROTOCOL_VERSION,
  readUint32,
} from "../../src/transport/frame-codec.ts";

const prefix = encodeEnvelopePrefix("cluster-ü", "node-a", "node-b");
const bodyOf = (frame: Uint8Array): Uint8Array => frame.subarray(FRAME_HEADER_BYTES);

describe("frame codec", () => {
  test("a payload frame is the protobuf PeerFrame of peer.proto, length-prefixed", () => {
    const payload = new Uint8Array(300).map((_, i) => i % 251);
    const frame = encodePayloadFrame(prefix, payload);
    expect(readUint32(frame, 0)).toBe(frame.length - FRAME_HEADER_BYTES);

    const decoded = fromBinary(PeerFrameSchema, bodyOf(frame));
    expect(decoded.clusterId).toBe("cluster-ü");
    expect(decoded.senderId).toBe("node-a");
    expect(decoded.recipientId).toBe("node-b");
    expect(decoded.body.case).toBe("payload");
    expect(decoded.body.value).toEqual(payload);

    const generated = toBinary(
      PeerFrameSchema,
      create(PeerFrameSchema, {
        clusterId: "cluster-ü",
        senderId: "node-a",
        recipientId: "node-b",
        body: { case: "payload", value: payload },
      }),
    );
    expect(bodyOf(frame)).toEqual(generated);
  });

  test("a hello frame carries the protocol version", () => {
    const decoded = fromBinary(PeerFrameSchema, bodyOf(encodeHelloFrame(prefix)));
    expect(decoded.body.case).toBe("hello");
    if (decoded.body.case !== "hello") throw new Error("not a hello");
    expect(decoded.body.value.protocolVersion).toBe(PROTOCOL_VERSION);
  });

  test("the decoder reads frames written by the generated code, unknown fields skipped", () => {
    const body = toBinary(
      PeerFrameSchema,
      create(PeerFrameSchema, {
        clusterId: "c",
        senderId: "s",
        recipientId: "r",
        body: { case: "hello", value: create(PeerHelloSchema, { protocolVersion: 7 }) },
      }),
    );
    // Append unknown fields of every wire type: 9 varint, 10 fixed64, 11 bytes, 12 fixed32.
    const extra = new Uint8Array([9 << 3, 0x96, 0x01, (10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, (11 << 3) | 2, 2, 0xaa, 0xbb, (12 << 3) | 5, 1, 2, 3, 4]);
    const withExtra = new Uint8Array([...body, ...extra]);
    const view = new FrameView();
    expect(decodeFrameBody(withExtra, view)).toBeUndefined();
    expect(view.body).toBe("hello");
    expect(view.protocolVersion).toBe(7);
    expect(bytesEqual(withExtra, view.clusterIdStart, view.clusterIdEnd, new TextEncoder().encode("c"))).toBe(true);
    expect(bytesEqual(withExtra, view.senderIdStart, view.senderIdEnd, new TextEncoder().encode("s"))).toBe(true);
    expect(bytesEqual(withExtra, view.recipientIdStart, view.recipientIdEnd, new TextEncoder().encode("x"))).toBe(false);
  });

  test("payload offsets point at the payload bytes", () => {
    const payload = new TextEncoder().encode("hello raft");
    const body = bodyOf(encodePayloadFrame(prefix, payload));
    const view = new FrameView();
    expect(decodeFrameBody(body, view)).toBeUndefined();
    expect(view.body).toBe("payload");
    expect(body.subarray(view.payloadStart, view.payloadEnd)).toEqual(payload);
  });

  test("truncated and invalid bodies are described, never thrown", () => {
    const body = bodyOf(encodePayloadFrame(prefix, new Uint8Array(50)));
    const view = new FrameView();
    for (let cut = 1; cut < body.length; cut++) {
      const problem = decodeFrameBody(body.subarray(0, cut), view);
      // A cut exactly between fields is valid protobuf, just missing the payload.
      if (problem === undefined) expect(view.body).not.toBe("payload");
    }
    expect(decodeFrameBody(new Uint8Array([0x00, 0x01]), view)).toContain("field number 0");
    expect(decodeFrameBody(new Uint8Array([(1 << 3) | 3]), view)).toContain("wire type 3");
    expect(decodeFrameBody(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f]), view)).toBeDefined();
    expect(decodeFrameBody(new Uint8Array([0x0a, 0x10, 0x61]), view)).toContain("past the end");
  });
});
