import { errorMessage } from "../log/error-message.ts";
import { TxnInputError } from "./txn-input-error.ts";

const ESCAPES: Readonly<Record<string, number>> = { "\\": 0x5c, '"': 0x22, n: 0x0a, t: 0x09, r: 0x0d, "0": 0x00 };

/** Reads the tokens of one line of txn input: words, quoted strings, numbers, punctuation. */
export class TxnLineScanner {
  private position = 0;

  constructor(
    private readonly text: string,
    readonly lineNumber: number,
  ) {}

  error(problem: string, at = this.position): TxnInputError {
    return new TxnInputError(this.lineNumber, at + 1, problem);
  }

  /** The 0-based position of the next token (white space skipped), for errors that point at it. */
  here(): number {
    this.skipSpace();
    return this.position;
  }

  skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position] ?? "")) this.position++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.position] ?? "";
  }

  /** What is left, for error messages. */
  rest(): string {
    this.skipSpace();
    const rest = this.text.slice(this.position);
    return rest === "" ? "end of line" : JSON.stringify(rest.length > 20 ? `${rest.slice(0, 20)}…` : rest);
  }

  expect(literal: string, what: string): void {
    this.skipSpace();
    if (!this.text.startsWith(literal, this.position)) throw this.error(`expected ${what}, got ${this.rest()}`);
    this.position += literal.length;
  }

  /** A name made of letters, digits and `_`; "" if none here. */
  identifier(): string {
    this.skipSpace();
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.position));
    if (match === null) return "";
    this.position += match[0].length;
    return match[0];
  }

  /** One of the given operators, longest first; a longer run of operator characters is an error. */
  operator(operators: readonly string[], what: string): string {
    this.skipSpace();
    const start = this.position;
    const run = /^[=!<>]+/.exec(this.text.slice(start))?.[0] ?? "";
    if (operators.includes(run)) {
      this.position += run.length;
      return run;
    }
    throw this.error(`expected ${what}, got ${run === "" ? this.rest() : JSON.stringify(run)}`, start);
  }

  /** A non-negative decimal integer. */
  integer(what: string): bigint {
    this.skipSpace();
    const match = /^[0-9]+/.exec(this.text.slice(this.position));
    if (match === null) throw this.error(`expected ${what} (a non-negative integer), got ${this.rest()}`);
    this.position += match[0].length;
    return BigInt(match[0]);
  }

  /** A "double-quoted" string as bytes (UTF-8; escapes \\ \" \n \t \r \0 \xHH). */
  quoted(what: string): Uint8Array {
    this.skipSpace();
    const start = this.position;
    if (this.text[this.position] !== '"') throw this.error(`expected ${what} as a "quoted string", got ${this.rest()}`);
    this.position++;
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    for (;;) {
      const char = this.text[this.position];
      if (char === undefined) throw this.error(`${what}: the string opened here is not closed`, start);
      this.position++;
      if (char === '"') return Uint8Array.from(bytes);
      if (char !== "\\") {
        // Whole code points, so non-ASCII text is UTF-8 encoded correctly.
        const codePoint = this.text.codePointAt(this.position - 1) ?? 0;
        const full = String.fromCodePoint(codePoint);
        this.position += full.length - 1;
        bytes.push(...encoder.encode(full));
        continue;
      }
      const escaped = this.text[this.position] ?? "";
      this.position++;
      if (escaped === "x") {
        const hex = this.text.slice(this.position, this.position + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw this.error(`${what}: \\x needs two hex digits, got ${JSON.stringify(hex)}`, this.position - 2);
        bytes.push(parseInt(hex, 16));
        this.position += 2;
        continue;
      }
      const byte = ESCAPES[escaped];
      if (byte === undefined) throw this.error(`${what}: unknown escape \\${escaped} (use \\\\ \\" \\n \\t \\r \\0 \\xHH)`, this.position - 2);
      bytes.push(byte);
    }
  }

  /** A bare word (up to white space) or a quoted string, as bytes. */
  bytes(what: string, decodeWord: (word: string) => Uint8Array): Uint8Array {
    if (this.peek() === '"') return this.quoted(what);
    const start = this.position;
    const word = this.word();
    if (word === "") throw this.error(`expected ${what}, got end of line`);
    try {
      return decodeWord(word);
    } catch (error) {
      throw this.error(errorMessage(error), start);
    }
  }

  /** Characters up to white space. */
  word(): string {
    this.skipSpace();
    const start = this.position;
    while (this.position < this.text.length && !/\s/.test(this.text[this.position] ?? "")) this.position++;
    return this.text.slice(start, this.position);
  }
}
