/**
 * Hand-written codec for the PeerFrame envelope (proto/raftkv/v1/peer.proto).
 *
 * Why by hand: the three ids are the same for every frame sent to one peer,
 * so their encoded bytes are computed once per link and copied; and the
 * receiver compares ids as bytes instead of decoding strings per frame. The
 * bytes are ordinary protobuf, so any protobuf tool can read a captured frame;
 * test/transport/frame-codec.test.ts checks this against the generated schema.
 *
 * On the wire: a 4-byte big-endian body length, then the PeerFrame body.
 */

export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 4;

// Tags: (field number << 3) | wire type. Wire type 2 = length-delimited, 0 = varint.
const TAG_CLUSTER_ID = (1 << 3) | 2;
const TAG_SENDER_ID = (2 << 3) | 2;
const TAG_RECIPIENT_ID = (3 << 3) | 2;
const TAG_HELLO = (4 << 3) | 2;
const TAG_PAYLOAD = (5 << 3) | 2;
const TAG_HELLO_PROTOCOL_VERSION = (1 << 3) | 0;
const TAG_HELLO_INCARNATION = (2 << 3) | 2;
const TAG_HELLO_RAFT_ADDRESS = (3 << 3) | 2;

const utf8 = new TextEncoder();

/** The encoded cluster, sender and recipient fields shared by every frame of one link. */
export function encodeEnvelopePrefix(clusterId: string, senderId: string, recipientId: string): Uint8Array {
  const parts = [
    encodeLengthDelimited(TAG_CLUSTER_ID, utf8.encode(clusterId)),
    encodeLengthDelimited(TAG_SENDER_ID, utf8.encode(senderId)),
    encodeLengthDelimited(TAG_RECIPIENT_ID, utf8.encode(recipientId)),
  ];
  return concatBytes(parts);
}

/** A complete hello frame (length header included) for the given envelope prefix. */
export function encodeHelloFrame(envelopePrefix: Uint8Array, protocolVersion: number = PROTOCOL_VERSION, incarnation = "", raftAddress = ""): Uint8Array {
  const version = new Uint8Array(1 + varintSize(protocolVersion));
  version[0] = TAG_HELLO_PROTOCOL_VERSION;
  writeVarint(version, 1, protocolVersion);
  const parts: Uint8Array[] = [version];
  if (incarnation !== "") parts.push(encodeLengthDelimited(TAG_HELLO_INCARNATION, utf8.encode(incarnation)));
  if (raftAddress !== "") parts.push(encodeLengthDelimited(TAG_HELLO_RAFT_ADDRESS, utf8.encode(raftAddress)));
  const body = concatBytes([envelopePrefix, encodeLengthDelimited(TAG_HELLO, concatBytes(parts))]);
  return withLengthHeader(body);
}

/** Body length of a payload frame, without the 4-byte length header. */
export function payloadFrameBodyLength(envelopePrefix: Uint8Array, payloadLength: number): number {
  return envelopePrefix.length + 1 + varintSize(payloadLength) + payloadLength;
}

/** A complete payload frame (length header included): one allocation, one copy of the payload. */
export function encodePayloadFrame(envelopePrefix: Uint8Array, payload: Uint8Array): Uint8Array {
  const bodyLength = payloadFrameBodyLength(envelopePrefix, payload.length);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + bodyLength);
  writeUint32(frame, 0, bodyLength);
  frame.set(envelopePrefix, FRAME_HEADER_BYTES);
  let offset = FRAME_HEADER_BYTES + envelopePrefix.length;
  frame[offset++] = TAG_PAYLOAD;
  offset = writeVarint(frame, offset, payload.length);
  frame.set(payload, offset);
  return frame;
}

/**
 * Where the fields of one decoded frame body lie. Reused across frames by the
 * reader of one connection, so decoding allocates nothing.
 */
export class FrameView {
  clusterIdStart = 0;
  clusterIdEnd = 0;
  senderIdStart = 0;
  senderIdEnd = 0;
  recipientIdStart = 0;
  recipientIdEnd = 0;
  body: "none" | "hello" | "payload" = "none";
  protocolVersion = 0;
  helloIncarnationStart = 0;
  helloIncarnationEnd = 0;
  helloAddressStart = 0;
  helloAddressEnd = 0;
  payloadStart = 0;
  payloadEnd = 0;
}

/**
 * Decodes one frame body into `view`. Returns a description of what is wrong,
 * or undefined when the body is well-formed protobuf. Unknown fields are
 * skipped, as protobuf requires, so later versions can add fields.
 */
export function decodeFrameBody(body: Uint8Array, view: FrameView): string | undefined {
  view.clusterIdStart = view.clusterIdEnd = 0;
  view.senderIdStart = view.senderIdEnd = 0;
  view.recipientIdStart = view.recipientIdEnd = 0;
  view.body = "none";
  view.protocolVersion = 0;
  view.helloIncarnationStart = view.helloIncarnationEnd = 0;
  view.helloAddressStart = view.helloAddressEnd = 0;
  let offset = 0;
  while (offset < body.length) {
    const tag = readVarint32(body, offset);
    if (tag < 0) return `bad field tag at byte ${offset}`;
    offset = varintNext;
    const wireType = tag & 7;
    const field = tag >>> 3;
    if (field === 0) return `field number 0 at byte ${offset}`;
    if (wireType === 2) {
      const length = readVarint32(body, offset);
      if (length < 0) return `bad length of field ${field} at byte ${offset}`;
      const start = varintNext;
      const end = start + length;
      if (end > body.length) return `field ${field} runs past the end of the frame (${end} > ${body.length})`;
      offset = end;
      switch (field) {
        case 1:
          view.clusterIdStart = start;
          view.clusterIdEnd = end;
          break;
        case 2:
          view.senderIdStart = start;
          view.senderIdEnd = end;
          break;
        case 3:
          view.recipientIdStart = start;
          view.recipientIdEnd = end;
          break;
        case 4: {
          const problem = decodeHello(body, start, end, view);
          if (problem !== undefined) return problem;
          view.body = "hello";
          break;
        }
        case 5:
          view.payloadStart = start;
          view.payloadEnd = end;
          view.body = "payload";
          break;
        default:
          break;
      }
      continue;
    }
    const next = skipScalar(body, offset, wireType);
    if (next === undefined) return `bad value of field ${field} (wire type ${wireType}) at byte ${offset}`;
    offset = next;
  }
  return undefined;
}

function decodeHello(body: Uint8Array, start: number, end: number, view: FrameView): string | undefined {
  let offset = start;
  while (offset < end) {
    const tag = readVarint32(body, offset);
    if (tag < 0 || varintNext > end) return `bad hello field tag at byte ${offset}`;
    offset = varintNext;
    const wireType = tag & 7;
    if (tag === TAG_HELLO_PROTOCOL_VERSION) {
      const version = readVarint32(body, offset);
      if (version < 0 || varintNext > end) return `bad hello protocol version at byte ${offset}`;
      view.protocolVersion = version;
      offset = varintNext;
      continue;
    }
    if (tag === TAG_HELLO_INCARNATION || tag === TAG_HELLO_RAFT_ADDRESS) {
      const length = readVarint32(body, offset);
      if (length < 0 || varintNext + length > end) return `bad hello field at byte ${offset}`;
      if (tag === TAG_HELLO_INCARNATION) {
        view.helloIncarnationStart = varintNext;
        view.helloIncarnationEnd = varintNext + length;
      } else {
        view.helloAddressStart = varintNext;
        view.helloAddressEnd = varintNext + length;
      }
      offset = varintNext + length;
      continue;
    }
    const next = wireType === 2 ? skipLengthDelimited(body, offset) : skipScalar(body, offset, wireType);
    if (next === undefined || next > end) return `bad hello field at byte ${offset}`;
    offset = next;
  }
  return undefined;
}

/** True when body[start, end) holds exactly the bytes of `expected`. */
export function bytesEqual(body: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (body[start + i] !== expected[i]) return false;
  }
  return true;
}

export function readUint32(bytes: Uint8Array, offset: number): number {
  const b0 = bytes[offset] ?? 0;
  const b1 = bytes[offset + 1] ?? 0;
  const b2 = bytes[offset + 2] ?? 0;
  const b3 = bytes[offset + 3] ?? 0;
  return ((b0 << 24) | (b1 << 16) | (b2 << 8) | b3) >>> 0;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

function withLengthHeader(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  writeUint32(frame, 0, body.length);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

function encodeLengthDelimited(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + varintSize(value.length) + value.length);
  out[0] = tag;
  const offset = writeVarint(out, 1, value.length);
  out.set(value, offset);
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(bytes: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    bytes[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  bytes[offset++] = value;
  return offset;
}

// Where the last readVarint32 stopped. A module-level cursor instead of a
// returned object keeps the per-frame decode free of allocations.
let varintNext = 0;

/**
 * Reads a varint that must fit in 32 bits unsigned (tags, lengths, the
 * version). Returns -1 when it is truncated or too large; on success the byte
 * after it is in `varintNext`.
 */
function readVarint32(bytes: Uint8Array, offset: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) return -1;
    value += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      if (value > 0xffffffff) return -1;
      varintNext = offset + i + 1;
      return value;
    }
    multiplier *= 128;
  }
  return -1;
}

function skipLengthDelimited(bytes: Uint8Array, offset: number): number | undefined {
  const length = readVarint32(bytes, offset);
  if (length < 0) return undefined;
  const end = varintNext + length;
  return end > bytes.length ? undefined : end;
}

function skipScalar(bytes: Uint8Array, offset: number, wireType: number): number | undefined {
  switch (wireType) {
    case 0:
      for (let i = 0; i < 10; i++) {
        const byte = bytes[offset + i];
        if (byte === undefined) return undefined;
        if (byte < 0x80) return offset + i + 1;
      }
      return undefined;
    case 1:
      return offset + 8 <= bytes.length ? offset + 8 : undefined;
    case 5:
      return offset + 4 <= bytes.length ? offset + 4 : undefined;
    default:
      // Groups (3, 4) are not used by proto3; 6 and 7 are not wire types.
      return undefined;
  }
}
