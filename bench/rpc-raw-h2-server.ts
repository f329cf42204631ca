/**
 * A baseline for bench/client-server.bench.sh: a bare node:http2 stream
 * handler that answers every request with a fixed, pre-encoded gRPC reply.
 * No sniffing, no decoding, no service: the ceiling of HTTP/2 on Bun on this
 * machine at this moment, so the client server's figures can be read as a
 * ratio to it when other load makes absolute numbers noisy.
 * Usage: bun bench/rpc-raw-h2-server.ts <port>
 */
import http2 from "node:http2";

const port = Number(process.argv[2] ?? "40152");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`port must be an integer in 0..65535, got ${JSON.stringify(process.argv[2])}`);
}
// EchoResponse{payload: 32 bytes} in a gRPC frame.
const reply = Buffer.concat([Buffer.from([0, 0, 0, 0, 34, 0x0a, 32]), Buffer.alloc(32, 0x61)]);
const server = http2.createServer();
server.on("stream", (stream: http2.ServerHttp2Stream) => {
  stream.on("data", () => {});
  stream.once("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(reply);
  });
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening 127.0.0.1:${port}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
