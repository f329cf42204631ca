import { useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import { ConfirmDialog, type ConfirmRequest, type Outcome, OutcomeLine } from "../ui/confirm-dialog.tsx";
import { errorText } from "../ui/error-text.ts";
import { parseImport } from "./export-format.ts";
import { exportPrefix, importEntries } from "./prefix-transfer.ts";

/** Export the listed prefix to a JSON file; import such a file (after a confirmation naming how many keys). */
export function ExportImportBar(props: { readonly client: RaftkvClient; readonly prefix: string; readonly onImported: () => void }) {
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  const [pending, setPending] = useState<ConfirmRequest | undefined>(undefined);
  const [progress, setProgress] = useState<string | undefined>(undefined);

  const exportNow = async (): Promise<void> => {
    try {
      const document = await exportPrefix(props.client, props.prefix);
      const blob = new Blob([`${JSON.stringify(document, null, 2)}\n`], { type: "application/json" });
      const link = Object.assign(window.document.createElement("a"), {
        href: URL.createObjectURL(blob),
        download: `raftkv-export-${props.prefix.replace(/[^\w.-]+/g, "_") || "all"}.json`,
      });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      setOutcome({ ok: true, text: `exported ${document.kvs.length} keys under "${props.prefix}" (read at index ${document.index})` });
    } catch (error) {
      setOutcome({ ok: false, text: `export failed: ${errorText(error)}` });
    }
  };

  const importFile = async (file: File): Promise<void> => {
    try {
      const parsed = parseImport(await file.text());
      setPending({
        title: `Import ${file.name}`,
        detail: (
          <p>
            Writes {parsed.entries.length} keys{parsed.prefix === "" ? "" : ` (exported from "${parsed.prefix}")`}, 64 per transaction. Keys that exist are
            overwritten.
          </p>
        ),
        confirmLabel: `Import ${parsed.entries.length} keys`,
        run: async () => {
          const written = await importEntries(props.client, parsed.entries, (n) => setProgress(`${n} of ${parsed.entries.length} written…`));
          setProgress(undefined);
          props.onImported();
          return `imported ${written} keys`;
        },
      });
    } catch (error) {
      setOutcome({ ok: false, text: `cannot import ${file.name}: ${errorText(error)}` });
    }
  };

  return (
    <div class="export-import">
      <button type="button" data-testid="export-prefix" onClick={() => void exportNow()}>
        Export {props.prefix === "" ? "all keys" : `"${props.prefix}"`}
      </button>
      <label class="file-button">
        Import…
        <input
          type="file"
          accept="application/json,.json"
          data-testid="import-file"
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = "";
            if (file !== undefined) void importFile(file);
          }}
        />
      </label>
      {progress === undefined ? null : <span class="note">{progress}</span>}
      <OutcomeLine outcome={outcome} testId="transfer-outcome" />
      {pending === undefined ? null : (
        <ConfirmDialog
          request={pending}
          onDone={(done) => {
            setPending(undefined);
            setProgress(undefined);
            if (done !== undefined) setOutcome(done);
          }}
        />
      )}
    </div>
  );
}
