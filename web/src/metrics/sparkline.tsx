/** One series over the chart's time window; undefined values leave a gap. */
export interface Series {
  readonly label: string;
  readonly unit: string;
  readonly points: readonly { readonly atMs: number; readonly value: number | undefined }[];
  /** Shown instead of a line when the node does not report this figure. */
  readonly unavailable?: string;
}

const width = 320;
const height = 90;

/** A small SVG line chart with its latest value and its peak; no chart library for three lines. */
export function Sparkline(props: { readonly series: Series; readonly windowMs: number; readonly nowMs: number; readonly testId: string }) {
  const { series } = props;
  const values = series.points.flatMap((p) => (p.value === undefined ? [] : [p.value]));
  const latest = series.points.at(-1)?.value;
  const min = values.length === 0 ? 0 : Math.min(...values);
  const max = values.length === 0 ? 1 : Math.max(...values);
  // Rates start at zero; an index is shown over its own range so that growth is visible.
  const floor = series.unit === "/s" ? 0 : min;
  const span = max - floor || 1;
  // Until the window has filled, the data spans the whole width (a few seconds of points would be a dot at the right edge).
  const firstAtMs = series.points[0]?.atMs ?? props.nowMs;
  const shownMs = Math.min(props.windowMs, Math.max(10_000, props.nowMs - firstAtMs));
  const x = (atMs: number): number => width - ((props.nowMs - atMs) / shownMs) * width;
  // A flat series is drawn mid-height, not hidden along the bottom edge.
  const y = (value: number): number => (max === floor ? height / 2 : height - 4 - ((value - floor) / span) * (height - 8));
  const segments: string[][] = [[]];
  for (const point of series.points) {
    if (point.value === undefined) segments.push([]);
    else segments.at(-1)?.push(`${x(point.atMs).toFixed(1)},${y(point.value).toFixed(1)}`);
  }
  const shown = (value: number | undefined): string =>
    value === undefined ? "n/a" : series.unit === "/s" ? `${value < 10 ? value.toFixed(1) : Math.round(value)}/s` : Math.round(value).toLocaleString("en-US");
  return (
    <figure class="sparkline" data-testid={props.testId}>
      <figcaption>
        {series.label}: <b data-testid={`${props.testId}-value`}>{series.unavailable === undefined ? shown(latest) : "n/a"}</b>
        {series.unavailable === undefined && values.length > 0 ? <span class="peak"> (peak {shown(max)})</span> : null}
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={series.label}>
        <rect x={0} y={0} width={width} height={height} class="plot" />
        {series.unavailable === undefined ? (
          segments.filter((s) => s.length > 0).map((s, i) => <polyline key={i} points={s.join(" ")} class="line" />)
        ) : (
          <text x={width / 2} y={height / 2} text-anchor="middle" class="unavailable">
            {series.unavailable}
          </text>
        )}
      </svg>
    </figure>
  );
}
