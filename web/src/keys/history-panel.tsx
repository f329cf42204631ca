import { useEffect, useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import type { KeyValue } from "../../../src/gen/raftkv/v1/kv_pb.ts";
import { ConfirmDialog, type ConfirmRequest, type Outcome, OutcomeLine } from "../ui/confirm-dialog.tsx";
import { errorText } from "../ui/error-text.ts";
import { type KeyHistory, type KeyVersion, loadKeyHistory } from "./key-history.ts";
import { keyLabel, sameBytes, utf8OrUndefined } from "./key-text.ts";
import { type CasOutcome, casPut } from "./key-writes.ts";
import { ValueDiff } from "./value-diff.tsx";
import { hexDump } from "./value-format.ts";

function shown(version: KeyVersion): string {
  if (version.deleted) return "(deleted)";
  return utf8OrUndefined(version.value) ?? hexDump(version.value);
}

/**
 * A key's versions (from the server's watch history), a diff of any version
 * against the one before it, and a rollback: a compare-and-swap put of the
 * old value against the key's current mod index.
 */
export function HistoryPanel(props: {
  readonly client: RaftkvClient;
  readonly current: KeyValue | undefined;
  readonly keyBytes: Uint8Array;
  readonly readIndex: bigint;
  readonly onWritten: (outcome: CasOutcome) => void;
}) {
  const [history, setHistory] = useState<KeyHistory | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [pending, setPending] = useState<ConfirmRequest | undefined>(undefined);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);

  useEffect(() => {
    let live = true;
    setHistory(undefined);
    setError(undefined);
    loadKeyHistory(props.client, props.keyBytes, props.readIndex).then(
      (loaded) => {
        if (!live) return;
        setHistory(loaded);
        setSelected(loaded.versions.length - 1);
      },
      (failure: unknown) => live && setError(errorText(failure)),
    );
    return () => {
      live = false;
    };
  }, [props.client, props.keyBytes, props.readIndex]);

  if (error !== undefined)
    return (
      <p class="outcome error" data-testid="history-error">
        history unavailable: {error}
      </p>
    );
  if (history === undefined) return <p class="note">Loading history…</p>;
  const versions = history.versions;
  const chosen = selected === undefined ? undefined : versions[selected];
  const previous = selected === undefined || selected === 0 ? undefined : versions[selected - 1];
  const current = props.current;
  const isCurrent = chosen !== undefined && current !== undefined && !chosen.deleted && chosen.index === current.modIndex;
  const sameAsNow = chosen !== undefined && current !== undefined && !chosen.deleted && sameBytes(chosen.value, current.value);

  const rollback = (version: KeyVersion): void => {
    const expected = current?.modIndex ?? 0n;
    setOutcome(undefined);
    setPending({
      title: `Roll back ${keyLabel(props.keyBytes)}`,
      detail: (
        <p>
          Writes the value the key had at index {String(version.index)} as a new version, only if the key is still at mod index {String(expected)}
          {current === undefined ? " (absent)" : ""}; if it changed meanwhile nothing is written.
        </p>
      ),
      confirmLabel: "Roll back",
      run: async () => {
        const result = await casPut(props.client, props.keyBytes, version.value, expected);
        props.onWritten(result);
        if (result.kind === "conflict") throw new Error("conflict: the key changed since it was loaded; nothing was written");
        return `rolled back to the value of index ${version.index}: written at index ${result.index}`;
      },
    });
  };

  return (
    <div class="history" data-testid="history-panel">
      {history.compactedBefore > 0n ? <p class="note">History before index {String(history.compactedBefore)} was compacted on the server.</p> : null}
      {versions.length === 0 ? <p class="note">No history kept for this key.</p> : null}
      <ol class="versions" data-testid="history-list">
        {versions.map((version, i) => (
          <li key={String(version.index)} class={i === selected ? "selected" : undefined} data-testid="history-version" data-index={String(version.index)}>
            {/* A button, so a version can be chosen from the keyboard too. */}
            <button type="button" onClick={() => setSelected(i)}>
              <b>index {String(version.index)}</b> {version.deleted ? "deleted" : `version ${version.version}`}
              <span class="preview">{shown(version).slice(0, 60)}</span>
            </button>
          </li>
        ))}
      </ol>
      {chosen === undefined ? null : (
        <div>
          <ValueDiff
            before={previous === undefined ? "" : shown(previous)}
            after={shown(chosen)}
            beforeLabel={previous === undefined ? "(nothing before)" : `index ${previous.index}`}
            afterLabel={`index ${chosen.index}`}
          />
          {chosen.deleted || isCurrent || sameAsNow ? null : (
            <button type="button" data-testid="rollback" onClick={() => rollback(chosen)}>
              Roll back to this version…
            </button>
          )}
        </div>
      )}
      <OutcomeLine outcome={outcome} testId="rollback-outcome" />
      {pending === undefined ? null : (
        <ConfirmDialog
          request={pending}
          onDone={(done) => {
            setPending(undefined);
            setOutcome(done);
          }}
        />
      )}
    </div>
  );
}
