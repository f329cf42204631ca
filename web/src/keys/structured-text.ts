import { parseDocument } from "yaml";

/** What the editor checks a value as before it is saved. */
export type EditorFormat = "text" | "json" | "yaml";

/** The format named by the editor's select (anything else is plain text). */
export function editorFormatOf(name: string): EditorFormat {
  return name === "json" || name === "yaml" ? name : "text";
}

export type Validation = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Whether `text` is a valid document of `format`, with the parser's own words (and line) when not. */
export function validate(text: string, format: EditorFormat): Validation {
  switch (format) {
    case "text":
      return { ok: true };
    case "json":
      try {
        JSON.parse(text);
        return { ok: true };
      } catch (error) {
        return { ok: false, message: `invalid JSON: ${jsonProblem(text, error)}` };
      }
    case "yaml": {
      const document = parseDocument(text, { prettyErrors: true });
      const first = document.errors[0];
      if (first === undefined) return { ok: true };
      const at = first.linePos?.[0];
      const where = at === undefined ? "" : ` (line ${at.line}, column ${at.col})`;
      return { ok: false, message: `invalid YAML${where}: ${first.message.split("\n")[0] ?? first.code}` };
    }
    default: {
      const unreachable: never = format;
      throw new Error(`unknown format ${String(unreachable)}`);
    }
  }
}

/** Pretty-printed: JSON with two spaces, YAML re-emitted with its comments kept. Throws the validation message when invalid. */
export function formatText(text: string, format: EditorFormat): string {
  const validation = validate(text, format);
  if (!validation.ok) throw new Error(validation.message);
  switch (format) {
    case "text":
      return text;
    case "json":
      return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    case "yaml":
      return parseDocument(text).toString({ indent: 2 });
    default: {
      const unreachable: never = format;
      throw new Error(`unknown format ${String(unreachable)}`);
    }
  }
}

/** The format a loaded value is edited as: JSON if it parses, YAML if it looks like a YAML mapping or list, else text. */
export function guessFormat(text: string): EditorFormat {
  if (validate(text, "json").ok && /^\s*[[{]/.test(text)) return "json";
  if (/^\s*(?:[\w.-]+\s*:\s|[\w.-]+:\s*$|- )/m.test(text) && validate(text, "yaml").ok) return "yaml";
  return "text";
}

/** JSON.parse's message, with a line and column when it gives a position (engines differ in what they say). */
function jsonProblem(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /position (\d+)/.exec(message)?.[1];
  if (position === undefined || /line \d+/.test(message)) return message;
  const before = text.slice(0, Number(position));
  const line = before.split("\n").length;
  const column = Number(position) - before.lastIndexOf("\n");
  return `${message} (line ${line}, column ${column})`;
}
