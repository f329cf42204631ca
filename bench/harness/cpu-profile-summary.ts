/** The parts of a Chrome/V8 .cpuprofile (what `bun --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileRow {
  readonly name: string;
  readonly milliseconds: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time by layer (src/server, src/engine, …, a library, the runtime). */
  readonly selfByLayer: readonly ProfileRow[];
  /** Time with the layer anywhere on the stack. */
  readonly inclusiveByLayer: readonly ProfileRow[];
  readonly topFunctions: readonly ProfileRow[];
}

/** Which layer a stack frame belongs to, from its source URL. */
export function layerOf(url: string, functionName: string): string {
  const src = /\/src\/([a-z-]+)\//.exec(url);
  if (src?.[1] !== undefined) return `src/${src[1]}`;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (module?.[1] !== undefined) return module[1];
  if (functionName === "(idle)" || functionName === "(program)" || functionName === "(garbage collector)") return functionName;
  if (url.startsWith("node:") || url.startsWith("bun:") || url.includes("internal")) return "runtime (node:/bun: built-ins)";
  return url === "" ? "runtime (native)" : "other";
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const parent = new Map<number, number>();
  const byId = new Map<number, CpuProfile["nodes"][number]>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    total += micros;
    const node = byId.get(id);
    if (node === undefined) return;
    const frame = node.callFrame;
    const layer = layerOf(frame.url, frame.functionName);
    self.set(layer, (self.get(layer) ?? 0) + micros);
    const fn = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + micros);
    const onStack = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const f = byId.get(cursor)?.callFrame;
      if (f !== undefined) onStack.add(layerOf(f.url, f.functionName));
    }
    for (const l of onStack) inclusive.set(l, (inclusive.get(l) ?? 0) + micros);
  });
  const rows = (map: Map<string, number>, limit: number): ProfileRow[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, micros]) => ({ name, milliseconds: micros / 1000, share: total > 0 ? micros / total : 0 }));
  return { totalMs: total / 1000, selfByLayer: rows(self, 30), inclusiveByLayer: rows(inclusive, 30), topFunctions: rows(functions, top) };
}

function shortUrl(url: string): string {
  const cut = url.search(/\/(src|node_modules)\//);
  return cut >= 0 ? url.slice(cut + 1) : url;
}

export function profileMarkdown(title: string, summary: ProfileSummary): string {
  const table = (heading: string, rows: readonly ProfileRow[]): string[] => [
    `| ${heading} | ms | share |`,
    "| --- | ---: | ---: |",
    ...rows.map((r) => `| ${r.name.replace(/\|/g, "\\|")} | ${r.milliseconds.toFixed(0)} | ${(r.share * 100).toFixed(1)}% |`),
    "",
  ];
  return [
    `# ${title}`,
    "",
    `${summary.totalMs.toFixed(0)} ms of samples.`,
    "",
    "## Self time by layer",
    "",
    ...table("layer", summary.selfByLayer),
    "## Time with the layer on the stack (inclusive)",
    "",
    ...table("layer", summary.inclusiveByLayer),
    "## Top functions by self time",
    "",
    ...table("function", summary.topFunctions),
  ].join("\n");
}
