import { useEffect, useMemo, useState } from "preact/hooks";
import type { RaftkvClient } from "../../../src/client/index.ts";
import { errorText } from "../ui/error-text.ts";
import { keyLabel, sameBytes, textBytes } from "./key-text.ts";
import { buildKeyTree, type TreeNode } from "./key-tree.ts";

const pageSize = 100;

interface Listing {
  readonly keys: readonly Uint8Array[];
  readonly more: boolean;
  readonly nextKey: Uint8Array;
  /** Every key under the prefix, all pages. */
  readonly count: bigint;
}

/**
 * The keys under a prefix as a tree by `/`, a page (keys only) at a time:
 * "Load more" asks for the next page from where the last one ended.
 */
export function KeyBrowser(props: {
  readonly client: RaftkvClient;
  readonly prefix: string;
  readonly onPrefix: (prefix: string) => void;
  readonly selected: Uint8Array | undefined;
  readonly onSelect: (key: Uint8Array) => void;
  /** Bumped by the parent after a write, to list again. */
  readonly refresh: number;
}) {
  const [typed, setTyped] = useState(props.prefix);
  const [listing, setListing] = useState<Listing | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => setTyped(props.prefix), [props.prefix]);
  useEffect(() => {
    // Search as one types, without a request per keystroke.
    const timer = setTimeout(() => typed !== props.prefix && props.onPrefix(typed), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  const loadPage = async (after: Listing | undefined): Promise<void> => {
    try {
      const page = await props.client.range({ prefix: textBytes(props.prefix), start: after?.nextKey ?? new Uint8Array(0), limit: pageSize, keysOnly: true });
      // A later page's count covers only the keys from its start on: the first page's is the prefix's total.
      const count = after?.count ?? page.count;
      setListing({ keys: [...(after?.keys ?? []), ...page.kvs.map((kv) => kv.key)], more: page.more, nextKey: page.nextKey, count });
      setError(undefined);
    } catch (failure) {
      setError(errorText(failure));
    }
  };
  useEffect(() => {
    void loadPage(undefined);
  }, [props.client, props.prefix, props.refresh]);

  const tree = useMemo(() => buildKeyTree(listing?.keys ?? [], props.prefix), [listing, props.prefix]);
  const toggle = (path: string): void => {
    const next = new Set(collapsed);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    setCollapsed(next);
  };
  const render = (nodes: readonly TreeNode[]) => (
    <ul class="tree">
      {nodes.map((node) =>
        node.kind === "folder" ? (
          <li key={`f:${node.path}`} class="folder">
            <button type="button" class="link" data-testid="tree-folder" data-path={node.path} onClick={() => toggle(node.path)}>
              {collapsed.has(node.path) ? "▸" : "▾"} {node.name} <small>({node.keyCount})</small>
            </button>
            <button type="button" class="link small" title={`list only ${node.path}`} onClick={() => props.onPrefix(node.path)}>
              ⤵
            </button>
            {collapsed.has(node.path) ? null : render(node.children)}
          </li>
        ) : (
          <li key={`k:${node.label}`}>
            <button
              type="button"
              class={props.selected !== undefined && sameBytes(props.selected, node.key) ? "link key selected" : "link key"}
              data-testid="tree-key"
              data-key={node.label}
              onClick={() => props.onSelect(node.key)}
            >
              {node.name}
            </button>
          </li>
        ),
      )}
    </ul>
  );

  return (
    <div class="key-browser" data-testid="key-browser">
      <label class="prefix">
        prefix <input data-testid="key-prefix" value={typed} placeholder="(all keys)" onInput={(e) => setTyped(e.currentTarget.value)} />
      </label>
      {error === undefined ? null : (
        <p class="outcome error" data-testid="keys-error">
          {error}
        </p>
      )}
      {listing === undefined ? (
        <p class="note">Loading…</p>
      ) : (
        <>
          <p class="note" data-testid="key-count">
            {listing.keys.length} of {String(listing.count)} keys{props.prefix === "" ? "" : ` under ${keyLabel(textBytes(props.prefix))}`}
          </p>
          {render(tree)}
          {listing.more ? (
            <button type="button" data-testid="load-more" onClick={() => void loadPage(listing)}>
              Load {pageSize} more
            </button>
          ) : null}
        </>
      )}
    </div>
  );
}
