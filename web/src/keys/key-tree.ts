import { keyLabel } from "./key-text.ts";

/** A folder (a common `/`-separated prefix) or a key, below the listed prefix. */
export type TreeNode =
  | { readonly kind: "folder"; readonly name: string; readonly path: string; readonly children: readonly TreeNode[]; readonly keyCount: number }
  | { readonly kind: "key"; readonly name: string; readonly label: string; readonly key: Uint8Array };

interface MutableFolder {
  readonly name: string;
  readonly path: string;
  readonly folders: Map<string, MutableFolder>;
  readonly keys: { readonly name: string; readonly label: string; readonly key: Uint8Array }[];
}

/**
 * Groups keys (in the server's byte order) into a tree by `/`, below
 * `prefix`: `app/db/url` under prefix `app/` is folder `db/` holding key
 * `url`. A key that ends in `/` (itself a "folder" name) is a key named
 * after its last segment with the slash, so it never hides its children.
 */
export function buildKeyTree(keys: readonly Uint8Array[], prefix: string): TreeNode[] {
  const root: MutableFolder = { name: "", path: prefix, folders: new Map(), keys: [] };
  for (const key of keys) {
    const label = keyLabel(key);
    const rest = label.startsWith(prefix) ? label.slice(prefix.length) : label;
    const segments = rest.split("/");
    // "a/b/" splits into ["a", "b", ""]: the key itself is "b/" inside folder "a/".
    let leaf = segments.pop() ?? "";
    if (leaf === "" && segments.length > 0) leaf = `${segments.pop() ?? ""}/`;
    let folder = root;
    for (const segment of segments) {
      let next = folder.folders.get(segment);
      if (next === undefined) {
        next = { name: `${segment}/`, path: `${folder.path}${segment}/`, folders: new Map(), keys: [] };
        folder.folders.set(segment, next);
      }
      folder = next;
    }
    folder.keys.push({ name: leaf === "" ? "(empty name)" : leaf, label, key });
  }
  return freeze(root);
}

function freeze(folder: MutableFolder): TreeNode[] {
  const folders: TreeNode[] = [...folder.folders.values()].map((child) => {
    const children = freeze(child);
    return { kind: "folder", name: child.name, path: child.path, children, keyCount: countKeys(children) };
  });
  const keys: TreeNode[] = folder.keys.map((k) => ({ kind: "key", ...k }));
  return [...folders, ...keys];
}

function countKeys(nodes: readonly TreeNode[]): number {
  return nodes.reduce((sum, node) => sum + (node.kind === "key" ? 1 : node.keyCount), 0);
}
