import { useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import { ExportImportBar } from "./export-import-bar.tsx";
import { KeyBrowser } from "./key-browser.tsx";
import { KeyDetail } from "./key-detail.tsx";
import { NewKeyForm } from "./new-key-form.tsx";

type Pane = { readonly kind: "none" } | { readonly kind: "key"; readonly key: Uint8Array } | { readonly kind: "new" };

/** The key browser: the tree on the left, the selected key (or a new one) on the right. */
export function KeysView(props: { readonly client: RaftkvClient }) {
  const [prefix, setPrefix] = useState("");
  const [pane, setPane] = useState<Pane>({ kind: "none" });
  const [refresh, setRefresh] = useState(0);
  const relist = (): void => setRefresh((n) => n + 1);
  return (
    <div class="view keys-view" data-testid="keys-view">
      <div class="keys-toolbar">
        <button type="button" class="primary" data-testid="new-key" onClick={() => setPane({ kind: "new" })}>
          New key
        </button>
        <ExportImportBar client={props.client} prefix={prefix} onImported={relist} />
      </div>
      <div class="split">
        <KeyBrowser
          client={props.client}
          prefix={prefix}
          onPrefix={setPrefix}
          selected={pane.kind === "key" ? pane.key : undefined}
          onSelect={(key) => setPane({ kind: "key", key })}
          refresh={refresh}
        />
        <div class="pane">
          {pane.kind === "none" ? <p class="note">Select a key, or create one.</p> : null}
          {pane.kind === "new" ? (
            <NewKeyForm
              client={props.client}
              prefix={prefix}
              onCancel={() => setPane({ kind: "none" })}
              onCreated={(key) => {
                setPane({ kind: "key", key });
                relist();
              }}
            />
          ) : null}
          {pane.kind === "key" ? <KeyDetail key={Array.from(pane.key).join(",")} client={props.client} keyBytes={pane.key} onChanged={relist} /> : null}
        </div>
      </div>
    </div>
  );
}
