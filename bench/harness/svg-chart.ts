import type { TargetSystem } from "../../src/bench/index.ts";
import type { BenchResults } from "./bench-results.ts";

interface Point {
  readonly x: number;
  readonly y: number;
  readonly label: string;
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly dashed: boolean;
  readonly points: readonly Point[];
}

const COLORS: Record<TargetSystem, string> = { raftkv: "#d9480f", etcd: "#1971c2" };
const WIDTH = 760;
const HEIGHT = 480;
const PLOT = { left: 70, right: 200, top: 40, bottom: 60 };

/**
 * Throughput (x) against latency (y) across in-flight levels, log-log, one
 * line per system: solid = raftkv bench's p99, dashed = h2load's mean
 * (h2load reports no percentiles). Hand-written SVG, no chart library.
 */
export function throughputLatencyChart(results: BenchResults): string {
  const series: Series[] = [];
  for (const system of ["raftkv", "etcd"] as const) {
    const points = results.scenarios
      .filter((s) => s.series === "put-in-flight")
      .flatMap((s) =>
        s.runs.filter((r) => r.system === system).map((r) => ({ x: r.load.throughput, y: r.load.latency.p99Ms, label: String(s.inFlight ?? "") })),
      );
    if (points.length > 0) series.push({ name: `${system} p99 (raftkv bench)`, color: COLORS[system], dashed: false, points });
    const h2 = results.h2load.filter((r) => r.system === system).map((r) => ({ x: r.h2load.throughput, y: r.h2load.meanMs, label: String(r.h2load.inFlight) }));
    if (h2.length > 0) series.push({ name: `${system} mean (h2load)`, color: COLORS[system], dashed: true, points: h2 });
  }
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const xs = logDomain(all.map((p) => p.x));
  const ys = logDomain(all.map((p) => p.y));
  const plotW = WIDTH - PLOT.left - PLOT.right;
  const plotH = HEIGHT - PLOT.top - PLOT.bottom;
  const sx = (x: number): number => PLOT.left + ((Math.log10(x) - xs.min) / (xs.max - xs.min)) * plotW;
  const sy = (y: number): number => PLOT.top + plotH - ((Math.log10(y) - ys.min) / (ys.max - ys.min)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${PLOT.left}" y="22" font-size="15" font-weight="bold">Put 256 B: throughput vs latency across requests in flight (${escapeXml(results.plan)} run)</text>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let e = Math.floor(xs.min); e <= Math.ceil(xs.max); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) < xs.min || Math.log10(v) > xs.max) continue;
      parts.push(`<line x1="${sx(v).toFixed(1)}" y1="${PLOT.top}" x2="${sx(v).toFixed(1)}" y2="${PLOT.top + plotH}" stroke="#eee"/>`);
      parts.push(`<text x="${sx(v).toFixed(1)}" y="${PLOT.top + plotH + 16}" text-anchor="middle">${tick(v)}</text>`);
    }
  }
  for (let e = Math.floor(ys.min); e <= Math.ceil(ys.max); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) < ys.min || Math.log10(v) > ys.max) continue;
      parts.push(`<line x1="${PLOT.left}" y1="${sy(v).toFixed(1)}" x2="${PLOT.left + plotW}" y2="${sy(v).toFixed(1)}" stroke="#eee"/>`);
      parts.push(`<text x="${PLOT.left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${tick(v)}</text>`);
    }
  }
  parts.push(`<text x="${PLOT.left + plotW / 2}" y="${HEIGHT - 18}" text-anchor="middle">throughput (requests/s, log scale)</text>`);
  parts.push(`<text transform="translate(18 ${PLOT.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency (ms, log scale)</text>`);
  series.forEach((s, index) => {
    const points = s.points.filter((p) => p.x > 0 && p.y > 0);
    const path = points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    for (const p of points) {
      parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${s.dashed ? "white" : s.color}" stroke="${s.color}"/>`);
      parts.push(`<text x="${(sx(p.x) + 6).toFixed(1)}" y="${(sy(p.y) - 6).toFixed(1)}" fill="${s.color}">${escapeXml(p.label)}</text>`);
    }
    const ly = PLOT.top + 10 + index * 20;
    const lx = PLOT.left + plotW + 14;
    parts.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    parts.push(`<text x="${lx + 32}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push(`<text x="${PLOT.left + plotW + 14}" y="${PLOT.top + 10 + series.length * 20 + 10}" fill="#555">labels: requests in flight</text>`);
  parts.push("</svg>", "");
  return parts.join("\n");
}

function logDomain(values: readonly number[]): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 1 };
  const min = Math.log10(Math.min(...values));
  const max = Math.log10(Math.max(...values));
  const pad = Math.max(0.1, (max - min) * 0.08);
  return { min: min - pad, max: max + pad };
}

function tick(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  return value >= 1 ? String(value) : value.toPrecision(1);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
