import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { ConnectError } from "@connectrpc/connect";

/**
 * Headers a handler may not set through an error's metadata: they carry the
 * protocol itself (the set connect-go and connect-es reserve).
 */
const PROTOCOL_HEADERS = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "host",
  "user-agent",
  "trailer",
  "date",
  "accept-encoding",
  "connect-content-encoding",
  "connect-accept-encoding",
  "connect-timeout-ms",
  "connect-protocol-version",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-timeout",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
]);

/**
 * Writes a gRPC status into `target` (trailers, or the headers of a
 * trailers-only answer): `grpc-status`, the percent-encoded `grpc-message`,
 * `grpc-status-details-bin` when the error has details, and the error's own
 * metadata (e.g. x-raftkv-not-proposed, which tells a client a write never
 * entered a log). Ours because connect-es's setTrailerStatus is marked internal.
 */
export function setGrpcStatus(target: Headers, error: ConnectError | undefined): Headers {
  if (error === undefined) {
    target.set("grpc-status", "0");
    return target;
  }
  if (!error.isWireError) {
    error.metadata.forEach((value, name) => {
      if (!PROTOCOL_HEADERS.has(name.toLowerCase())) target.append(name, value);
    });
  }
  target.set("grpc-status", String(error.code));
  target.set("grpc-message", encodeURIComponent(error.rawMessage));
  if (error.details.length > 0) target.set("grpc-status-details-bin", Buffer.from(encodeStatus(error)).toString("base64").replace(/=+$/, ""));
  return target;
}

/** google.rpc.Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3 }. */
function encodeStatus(error: ConnectError): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.Varint).int32(error.code);
  writer.tag(2, WireType.LengthDelimited).string(error.rawMessage);
  for (const detail of error.details) {
    const [typeName, value] = "desc" in detail ? [detail.desc.typeName, toBinary(detail.desc, create(detail.desc, detail.value))] : [detail.type, detail.value];
    writer
      .tag(3, WireType.LengthDelimited)
      .fork()
      .tag(1, WireType.LengthDelimited)
      .string(`type.googleapis.com/${typeName}`)
      .tag(2, WireType.LengthDelimited)
      .bytes(value)
      .join();
  }
  return writer.finish();
}
