import { expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { KeyValueSchema } from "../../src/gen/raftkv/v1/kv_pb.ts";
import { exportDocument, parseImport } from "../../web/src/keys/export-format.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

test("an export keeps text readable, binary as base64, and imports back to the same bytes", () => {
  const kvs = [
    create(KeyValueSchema, { key: utf8("app/name"), value: utf8("web") }),
    create(KeyValueSchema, { key: new Uint8Array([0x61, 0xff]), value: new Uint8Array([0, 1, 2, 255]) }),
  ];
  const document = exportDocument("app/", 42n, kvs, new Date("2026-01-02T03:04:05Z"));
  expect(document).toEqual({
    format: "raftkv-export/v1",
    prefix: "app/",
    index: "42",
    exported_at: "2026-01-02T03:04:05.000Z",
    kvs: [
      { key: "app/name", key_encoding: "utf8", value: "web", value_encoding: "utf8" },
      { key: "Yf8=", key_encoding: "base64", value: "AAEC/w==", value_encoding: "base64" },
    ],
  });
  const back = parseImport(JSON.stringify(document));
  expect(back.prefix).toBe("app/");
  expect(back.entries.map((e) => [Array.from(e.key), Array.from(e.value)])).toEqual(kvs.map((kv) => [Array.from(kv.key), Array.from(kv.value)]));
});

test("a broken import file is refused whole, naming the entry and field", () => {
  expect(() => parseImport("{")).toThrow("not a JSON file");
  expect(() => parseImport("[]")).toThrow("expected a JSON object with a kvs list");
  expect(() => parseImport('{"format": "etcd", "kvs": []}')).toThrow('format: expected "raftkv-export/v1", got "etcd"');
  expect(() => parseImport('{"kvs": [{"key": "a", "value": "b"}, {"key": 1, "value": "x"}]}')).toThrow("kvs[1].key: expected a string");
  expect(() => parseImport('{"kvs": [{"key": "", "value": "x"}]}')).toThrow("kvs[0].key: must not be empty");
  expect(() => parseImport('{"kvs": [{"key": "a", "value": "x", "value_encoding": "hex"}]}')).toThrow(
    'kvs[0].value_encoding: expected "utf8" or "base64", got "hex"',
  );
  expect(() => parseImport('{"kvs": [{"key": "a", "value": "%%%", "value_encoding": "base64"}]}')).toThrow("kvs[0].value: not valid base64");
  // Hand-written files may leave the encodings out: text.
  expect(parseImport('{"kvs": [{"key": "a", "value": "b"}]}').entries).toHaveLength(1);
});
