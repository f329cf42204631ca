import { expect, test } from "bun:test";
import { ClientListener } from "../../src/server/client-listener.ts";
import { startTestServer } from "./start-test-server.ts";

function echoOverHttp1(port: number, payload: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/raftkv.v1.Diagnostics/Echo`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ payload: Buffer.from(payload).toString("base64") }),
  });
}

test("a client port bound ahead holds a connection until the server attaches, then serves it", async () => {
  const listener = await ClientListener.bind("127.0.0.1", 0);
  const early = echoOverHttp1(listener.port, "early");
  let answered = false;
  void early.then(() => {
    answered = true;
  });
  await Bun.sleep(200);
  expect(answered).toBe(false);
  const server = await startTestServer({ listener });
  try {
    expect(server.port).toBe(listener.port);
    const response = await early;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { payload: string };
    expect(Buffer.from(body.payload, "base64").toString()).toBe("early");
  } finally {
    await server.close(1000);
  }
});

test("closed before any server attached: waiting connections are dropped and the port is free", async () => {
  const listener = await ClientListener.bind("127.0.0.1", 0);
  const early = echoOverHttp1(listener.port, "never");
  await Bun.sleep(100);
  await listener.close();
  await expect(early).rejects.toThrow();
  const again = await ClientListener.bind("127.0.0.1", listener.port);
  await expect(ClientListener.bind("127.0.0.1", listener.port)).rejects.toThrow(`cannot listen on 127.0.0.1:${listener.port}: `);
  await again.close();
});
