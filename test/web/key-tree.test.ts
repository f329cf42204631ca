import { expect, test } from "bun:test";
import { buildKeyTree, type TreeNode } from "../../web/src/keys/key-tree.ts";

const bytes = (...keys: string[]) => keys.map((k) => new TextEncoder().encode(k));

/** The tree as indented lines: folders end in "/", keys show their full label in brackets. */
function outline(nodes: readonly TreeNode[], depth = 0): string[] {
  return nodes.flatMap((node) =>
    node.kind === "folder"
      ? [`${"  ".repeat(depth)}${node.name} (${node.keyCount})`, ...outline(node.children, depth + 1)]
      : [`${"  ".repeat(depth)}${node.name} [${node.label}]`],
  );
}

test("keys group into folders by /, below the listed prefix, folders before keys", () => {
  const tree = buildKeyTree(bytes("app/api/image", "app/api/replicas", "app/db/url", "app/name", "other"), "");
  expect(outline(tree)).toEqual([
    "app/ (4)",
    "  api/ (2)",
    "    image [app/api/image]",
    "    replicas [app/api/replicas]",
    "  db/ (1)",
    "    url [app/db/url]",
    "  name [app/name]",
    "other [other]",
  ]);
  expect(outline(buildKeyTree(bytes("app/api/image", "app/db/url"), "app/"))).toEqual(["api/ (1)", "  image [app/api/image]", "db/ (1)", "  url [app/db/url]"]);
});

test("a key that ends in / is a key beside its folder, and an empty name is named", () => {
  expect(outline(buildKeyTree(bytes("a/b/", "a/b/c", "p/"), "p/"))).toEqual(["a/ (2)", "  b/ (1)", "    c [a/b/c]", "  b/ [a/b/]", "(empty name) [p/]"]);
});

test("binary keys are shown escaped, never as raw control bytes", () => {
  const tree = buildKeyTree([new Uint8Array([0x6b, 0x00, 0xff])], "");
  expect(outline(tree)).toEqual(["k\\x00\\xff [k\\x00\\xff]"]);
});
