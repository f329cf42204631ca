import type { KeyValue } from "../../../src/gen/raftkv/v1/kv_pb.ts";
import { utf8OrUndefined } from "./key-text.ts";

/** What a refused compare-and-swap found: the key as it is now. Nothing was written. */
export interface Conflict {
  readonly expectedModIndex: bigint;
  readonly current: KeyValue | undefined;
}

export function ConflictNote(props: { readonly conflict: Conflict; readonly onReload: () => void }) {
  const { conflict } = props;
  const now = conflict.current;
  const preview = now === undefined ? undefined : (utf8OrUndefined(now.value) ?? `${now.value.length} bytes of binary`);
  const expected = conflict.expectedModIndex === 0n ? "to be absent" : `at mod index ${conflict.expectedModIndex}`;
  return (
    <div class="conflict" role="alert" data-testid="write-conflict">
      <b>Conflict: nothing was written.</b> The key was expected {expected}, but{" "}
      {now === undefined ? "it no longer exists" : `it is at mod index ${now.modIndex} (version ${now.version})`}: someone else changed it since it was loaded.
      {preview === undefined ? null : <pre class="preview">{preview.length > 400 ? `${preview.slice(0, 400)}…` : preview}</pre>}
      <button type="button" data-testid="conflict-reload" onClick={props.onReload}>
        Load the current value
      </button>
    </div>
  );
}
