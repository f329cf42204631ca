import { describe, expect, test } from "bun:test";
import type { ArgsDef } from "citty";
import { checkArgs } from "../../src/cli/strict-args.ts";

const args = {
  key: { type: "positional", required: true },
  "range-end": { type: "string" },
  hex: { type: "boolean" },
  endpoints: { type: "string", alias: "e" },
} as const satisfies ArgsDef;

const valid = "valid flags: --range-end <value>, --hex, --endpoints <value> (-e), --help";

describe("checkArgs", () => {
  test("declared flags in every form citty reads pass", () => {
    expect(() => checkArgs(["k"], args)).not.toThrow();
    expect(() => checkArgs(["k", "--range-end", "z", "--hex"], args)).not.toThrow();
    expect(() => checkArgs(["--range-end=z", "k", "--no-hex", "--hex=false"], args)).not.toThrow();
    expect(() => checkArgs(["k", "-e", "a:1", "--endpoints=b:2"], args)).not.toThrow();
    // A string flag takes the next argument whatever it looks like, as citty does.
    expect(() => checkArgs(["k", "--range-end", "--hex"], args)).not.toThrow();
    // After --, everything is positional: a key may start with a dash.
    expect(() => checkArgs(["--", "-k"], args)).not.toThrow();
  });

  test("an unknown flag is one line naming it and listing the valid ones", () => {
    expect(() => checkArgs(["app/", "--prefix"], args)).toThrow(`unknown flag --prefix; ${valid}`);
    expect(() => checkArgs(["k", "--prefix=1"], args)).toThrow(`unknown flag --prefix; ${valid}`);
    expect(() => checkArgs(["k", "-x"], args)).toThrow(`unknown flag -x; ${valid}`);
    // camelCase spellings citty would also accept are not the documented flags.
    expect(() => checkArgs(["k", "--rangeEnd", "z"], args)).toThrow(`unknown flag --rangeEnd; ${valid}`);
    // --no- only negates booleans.
    expect(() => checkArgs(["k", "--no-endpoints"], args)).toThrow(`unknown flag --no-endpoints; ${valid}`);
    expect(() => checkArgs(["k", "-5"], args)).toThrow(`unknown flag -5 (a value that starts with - goes after --); ${valid}`);
  });

  test("a string flag without its value, and a positional argument too many, are errors", () => {
    expect(() => checkArgs(["k", "--range-end"], args)).toThrow("flag --range-end needs a value");
    expect(() => checkArgs(["k", "extra"], args)).toThrow('unexpected argument "extra"');
    expect(() => checkArgs(["k", "--", "a", "b"], args)).toThrow('unexpected arguments "a" "b"');
  });
});
