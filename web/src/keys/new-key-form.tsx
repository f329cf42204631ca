import { useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import { errorText } from "../ui/error-text.ts";
import { type Conflict, ConflictNote } from "./conflict-note.tsx";
import { textBytes } from "./key-text.ts";
import { casPut } from "./key-writes.ts";
import { ValueEditor } from "./value-editor.tsx";

/** Creates a key, only if it does not exist yet (a CAS on mod index 0): an existing key is shown, not overwritten. */
export function NewKeyForm(props: {
  readonly client: RaftkvClient;
  readonly prefix: string;
  readonly onCreated: (key: Uint8Array) => void;
  readonly onCancel: () => void;
}) {
  const [name, setName] = useState(props.prefix);
  const [conflict, setConflict] = useState<Conflict | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <div class="new-key" data-testid="new-key-form">
      <h2>New key</h2>
      <label>
        key <input data-testid="new-key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      {conflict === undefined ? null : <ConflictNote conflict={conflict} onReload={() => props.onCreated(textBytes(name))} />}
      {error === undefined ? null : (
        <p class="outcome error" data-testid="new-key-error">
          {error}
        </p>
      )}
      <ValueEditor
        initialText=""
        initialFormat="text"
        saveLabel="Create"
        onCancel={props.onCancel}
        onSave={async (value) => {
          const key = textBytes(name);
          if (key.length === 0) {
            setError("key: must not be empty");
            return;
          }
          try {
            const result = await casPut(props.client, key, textBytes(value), 0n);
            if (result.kind === "conflict") setConflict({ expectedModIndex: 0n, current: result.current });
            else props.onCreated(key);
          } catch (failure) {
            setError(errorText(failure));
          }
        }}
      />
    </div>
  );
}
