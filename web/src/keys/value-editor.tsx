import { useState } from "preact/hooks";
import { type EditorFormat, editorFormatOf, formatText, validate } from "./structured-text.ts";

/**
 * A textarea that knows JSON and YAML: Validate says what is wrong and
 * where, Format pretty-prints, and Save refuses a document that does not
 * parse as the chosen format (plain text is always valid).
 */
export function ValueEditor(props: {
  readonly initialText: string;
  readonly initialFormat: EditorFormat;
  readonly saveLabel: string;
  readonly onSave: (text: string) => Promise<void>;
  readonly onCancel: () => void;
}) {
  const [text, setText] = useState(props.initialText);
  const [format, setFormat] = useState<EditorFormat>(props.initialFormat);
  const [status, setStatus] = useState<{ readonly ok: boolean; readonly message: string } | undefined>(undefined);
  const [saving, setSaving] = useState(false);

  const check = (): boolean => {
    const result = validate(text, format);
    setStatus(result.ok ? { ok: true, message: `valid ${format}` } : { ok: false, message: result.message });
    return result.ok;
  };
  const save = async (): Promise<void> => {
    if (!check()) return;
    setSaving(true);
    try {
      await props.onSave(text);
    } finally {
      setSaving(false);
    }
  };
  return (
    <div class="editor" data-testid="value-editor">
      <div class="editor-toolbar">
        <label>
          as{" "}
          <select
            data-testid="editor-format"
            value={format}
            onChange={(e) => {
              setFormat(editorFormatOf(e.currentTarget.value));
              setStatus(undefined);
            }}
          >
            <option value="text">text</option>
            <option value="json">JSON</option>
            <option value="yaml">YAML</option>
          </select>
        </label>
        <button type="button" data-testid="editor-validate" disabled={format === "text"} onClick={() => check()}>
          Validate
        </button>
        <button
          type="button"
          data-testid="editor-format-button"
          disabled={format === "text"}
          onClick={() => {
            try {
              setText(formatText(text, format));
              setStatus({ ok: true, message: `formatted as ${format}` });
            } catch (error) {
              setStatus({ ok: false, message: error instanceof Error ? error.message : String(error) });
            }
          }}
        >
          Format
        </button>
      </div>
      <textarea
        data-testid="editor-text"
        spellcheck={false}
        rows={Math.min(24, Math.max(6, text.split("\n").length + 1))}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          setStatus(undefined);
        }}
      />
      {status === undefined ? null : (
        <p class={status.ok ? "outcome ok" : "outcome error"} data-testid="editor-status">
          {status.message}
        </p>
      )}
      <div class="editor-buttons">
        <button type="button" onClick={props.onCancel} disabled={saving}>
          Cancel
        </button>
        <button type="button" class="primary" data-testid="editor-save" disabled={saving} onClick={() => void save()}>
          {saving ? "Saving…" : props.saveLabel}
        </button>
      </div>
    </div>
  );
}
