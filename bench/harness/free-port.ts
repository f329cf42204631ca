import net from "node:net";

/**
 * A port the OS just handed out on 127.0.0.1. The listener is closed again
 * before the server under test binds it, so there is a small race; servers
 * that fail to bind show up as a start-up timeout with their log attached.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("free port: listener has no TCP address");
  return address.port;
}
