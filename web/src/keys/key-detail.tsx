import { useEffect, useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import type { KeyValue } from "../../../src/gen/raftkv/v1/kv_pb.ts";
import { ConfirmDialog, type ConfirmRequest, type Outcome, OutcomeLine } from "../ui/confirm-dialog.tsx";
import { errorText } from "../ui/error-text.ts";
import { type Conflict, ConflictNote } from "./conflict-note.tsx";
import { HistoryPanel } from "./history-panel.tsx";
import { keyLabel, textBytes, utf8OrUndefined } from "./key-text.ts";
import { type CasOutcome, casDelete, casPut } from "./key-writes.ts";
import { guessFormat } from "./structured-text.ts";
import { ValueEditor } from "./value-editor.tsx";
import { defaultView, renderValue, type ValueView } from "./value-format.ts";

type Mode = "view" | "edit" | "history";

/** A key as read (linearizable, from the node serving the page), with what it was read at. */
interface Loaded {
  readonly kv: KeyValue | undefined;
  readonly readIndex: bigint;
}

/**
 * One key: its value as text, JSON or hex, its metadata, and edit, delete
 * and history. Every write is a compare-and-swap against the mod index
 * shown here; a conflict is reported with what the key is now.
 */
export function KeyDetail(props: { readonly client: RaftkvClient; readonly keyBytes: Uint8Array; readonly onChanged: (deleted: boolean) => void }) {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [view, setView] = useState<ValueView>("text");
  const [mode, setMode] = useState<Mode>("view");
  const [conflict, setConflict] = useState<Conflict | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [pending, setPending] = useState<ConfirmRequest | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const label = keyLabel(props.keyBytes);

  useEffect(() => {
    let live = true;
    props.client.get(props.keyBytes).then(
      (answer) => {
        if (!live) return;
        setLoaded({ kv: answer.found ? answer.kv : undefined, readIndex: answer.header?.index ?? 0n });
        setLoadError(undefined);
        if (answer.kv !== undefined && generation === 0) setView(defaultView(answer.kv.value));
      },
      (error: unknown) => live && setLoadError(errorText(error)),
    );
    return () => {
      live = false;
    };
  }, [props.client, props.keyBytes, generation]);

  const reload = (): void => setGeneration((g) => g + 1);
  const afterWrite = (result: CasOutcome, expected: bigint, what: string, deleted: boolean): void => {
    if (result.kind === "conflict") {
      setConflict({ expectedModIndex: expected, current: result.current });
      return;
    }
    setConflict(undefined);
    setOutcome({ ok: true, text: `${what} at index ${result.index}` });
    setMode("view");
    reload();
    props.onChanged(deleted);
  };

  if (loadError !== undefined)
    return (
      <p class="outcome error" data-testid="key-error">
        {label}: {loadError}
      </p>
    );
  if (loaded === undefined) return <p class="note">Loading {label}…</p>;
  const kv = loaded.kv;
  const expected = kv?.modIndex ?? 0n;
  const text = kv === undefined ? undefined : utf8OrUndefined(kv.value);
  const rendered = kv === undefined ? undefined : renderValue(kv.value, view);

  return (
    <div class="key-detail" data-testid="key-detail" data-key={label}>
      <h2 data-testid="key-name">{label}</h2>
      {kv === undefined ? (
        <p class="note">This key does not exist (any more).</p>
      ) : (
        <dl class="meta">
          <dt>mod index</dt>
          <dd data-testid="key-mod-index">{String(kv.modIndex)}</dd>
          <dt>created at</dt>
          <dd>{String(kv.createIndex)}</dd>
          <dt>version</dt>
          <dd>{String(kv.version)}</dd>
          <dt>lease</dt>
          <dd>{kv.lease === 0n ? "none" : String(kv.lease)}</dd>
          <dt>size</dt>
          <dd>{kv.value.length} bytes</dd>
          <dt>read at</dt>
          <dd>{String(loaded.readIndex)}</dd>
        </dl>
      )}
      {conflict === undefined ? null : (
        <ConflictNote
          conflict={conflict}
          onReload={() => {
            setConflict(undefined);
            setMode("view");
            reload();
          }}
        />
      )}
      <OutcomeLine outcome={outcome} testId="key-outcome" />
      <div class="key-actions">
        {(["text", "json", "hex"] as const).map((v) => (
          <button
            type="button"
            key={v}
            data-testid={`view-${v}`}
            class={mode === "view" && view === v ? "selected" : undefined}
            onClick={() => {
              setView(v);
              setMode("view");
            }}
          >
            {v === "json" ? "JSON" : v}
          </button>
        ))}
        <span class="spacer" />
        <button
          type="button"
          data-testid="edit-key"
          disabled={kv !== undefined && text === undefined}
          title={text === undefined && kv !== undefined ? "binary values are not edited here" : undefined}
          onClick={() => {
            setOutcome(undefined);
            setMode("edit");
          }}
        >
          {kv === undefined ? "Create…" : "Edit"}
        </button>
        <button type="button" data-testid="show-history" class={mode === "history" ? "selected" : undefined} onClick={() => setMode("history")}>
          History
        </button>
        {kv === undefined ? null : (
          <button
            type="button"
            class="danger"
            data-testid="delete-key"
            onClick={() =>
              setPending({
                title: `Delete ${label}`,
                detail: <p>Deletes the key only if it is still at mod index {String(expected)}; if it changed meanwhile nothing is deleted.</p>,
                confirmLabel: "Delete",
                run: async () => {
                  const result = await casDelete(props.client, props.keyBytes, expected);
                  afterWrite(result, expected, "deleted", true);
                  if (result.kind === "conflict") throw new Error("conflict: the key changed since it was loaded; nothing was deleted");
                  return `deleted at index ${result.index}`;
                },
              })
            }
          >
            Delete…
          </button>
        )}
      </div>
      {mode === "view" && rendered !== undefined ? (
        "text" in rendered ? (
          <pre class="value" data-testid="key-value">
            {rendered.text}
          </pre>
        ) : (
          <p class="outcome error" data-testid="key-value-problem">
            {rendered.problem}
          </p>
        )
      ) : null}
      {mode === "edit" ? (
        <ValueEditor
          key={`${label}@${expected}`}
          initialText={text ?? ""}
          initialFormat={guessFormat(text ?? "")}
          saveLabel={kv === undefined ? "Create" : `Save (if still at mod index ${expected})`}
          onCancel={() => setMode("view")}
          onSave={async (value) => {
            try {
              afterWrite(await casPut(props.client, props.keyBytes, textBytes(value), expected), expected, "saved", false);
            } catch (error) {
              setOutcome({ ok: false, text: errorText(error) });
            }
          }}
        />
      ) : null}
      {mode === "history" ? (
        <HistoryPanel
          client={props.client}
          keyBytes={props.keyBytes}
          current={kv}
          readIndex={loaded.readIndex}
          onWritten={(result) => afterWrite(result, expected, "rolled back", false)}
        />
      ) : null}
      {pending === undefined ? null : (
        <ConfirmDialog
          request={pending}
          onDone={(done) => {
            setPending(undefined);
            if (done !== undefined) setOutcome(done);
          }}
        />
      )}
    </div>
  );
}
