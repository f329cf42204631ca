import { diffLines } from "diff";

/** A line diff of two values (text, or their hex dumps), + for added lines and − for removed ones. */
export function ValueDiff(props: { readonly before: string; readonly after: string; readonly beforeLabel: string; readonly afterLabel: string }) {
  const changes = diffLines(props.before, props.after);
  return (
    <div class="diff" data-testid="history-diff">
      <div class="diff-legend">
        <span class="removed">− {props.beforeLabel}</span> <span class="added">+ {props.afterLabel}</span>
      </div>
      <pre>
        {changes.flatMap((change, i) =>
          change.value
            .replace(/\n$/, "")
            .split("\n")
            .map((line, j) => (
              <div key={`${i}-${j}`} class={change.added ? "added" : change.removed ? "removed" : "same"}>
                {change.added ? "+ " : change.removed ? "− " : "  "}
                {line}
              </div>
            )),
        )}
      </pre>
    </div>
  );
}
