import { expect, test } from "bun:test";
import { formatText, guessFormat, validate } from "../../web/src/keys/structured-text.ts";
import { defaultView, hexDump, renderValue } from "../../web/src/keys/value-format.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

test("a value opens as JSON when it is a JSON document, as text when UTF-8, as hex otherwise", () => {
  expect(defaultView(utf8('{"a": 1}'))).toBe("json");
  expect(defaultView(utf8("[1, 2]"))).toBe("json");
  expect(defaultView(utf8("42"))).toBe("text");
  expect(defaultView(utf8("hello"))).toBe("text");
  expect(defaultView(new Uint8Array([0xff, 0xfe, 0x00]))).toBe("hex");
});

test("views render the value or say why they cannot", () => {
  expect(renderValue(utf8('{"b":[1,2],"a":"x"}'), "json")).toEqual({ text: '{\n  "b": [\n    1,\n    2\n  ],\n  "a": "x"\n}' });
  expect(renderValue(utf8("not json"), "json")).toMatchObject({ problem: expect.stringContaining("not JSON") });
  expect(renderValue(new Uint8Array([0xff]), "text")).toEqual({ problem: "not valid UTF-8: shown as hex" });
  expect(hexDump(utf8("Hello, raftkv! 0123456789"))).toBe(
    "00000000  48 65 6c 6c 6f 2c 20 72  61 66 74 6b 76 21 20 30  |Hello, raftkv! 0|\n00000010  31 32 33 34 35 36 37 38  39                       |123456789|",
  );
  expect(hexDump(new Uint8Array(0))).toBe("(empty)");
});

test("the editor validates JSON and YAML with a line, and formats them", () => {
  expect(validate('{"a": 1}', "json")).toEqual({ ok: true });
  const badJson = validate('{\n  "a": 1,\n}', "json");
  expect(badJson.ok).toBe(false);
  if (!badJson.ok) expect(badJson.message).toStartWith("invalid JSON: ");
  const badYaml = validate("a: 1\nb: [1, 2\n", "yaml");
  expect(badYaml.ok).toBe(false);
  if (!badYaml.ok) expect(badYaml.message).toMatch(/^invalid YAML \(line \d+, column \d+\): /);
  expect(validate("anything at all {", "text")).toEqual({ ok: true });
  expect(formatText('{"a":1,"b":[true,null]}', "json")).toBe('{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}\n');
  expect(formatText("# kept\na:   1\nb:\n    - x\n", "yaml")).toBe("# kept\na: 1\nb:\n  - x\n");
  expect(() => formatText("{", "json")).toThrow("invalid JSON");
});

test("a loaded value is edited as JSON, YAML or text by its look", () => {
  expect(guessFormat('{"a": 1}')).toBe("json");
  expect(guessFormat("name: web\nport: 8080\n")).toBe("yaml");
  expect(guessFormat("- a\n- b\n")).toBe("yaml");
  expect(guessFormat("hello world")).toBe("text");
  expect(guessFormat("3")).toBe("text");
});
