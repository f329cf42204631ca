import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";

/** GET /metrics of a node, parsed by a Prometheus text-format parser (a malformed exposition throws). */
export async function scrape(endpoint: string): Promise<Map<string, PrometheusFamily>> {
  const response = await fetch(`http://${endpoint}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics on ${endpoint}: ${response.status}`);
  const contentType = response.headers.get("content-type") ?? "";
  if (!contentType.startsWith("text/plain")) throw new Error(`GET /metrics on ${endpoint}: content type ${contentType}`);
  return new Map(parsePrometheusTextFormat(await response.text()).map((family) => [family.name, family]));
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(families: Map<string, PrometheusFamily>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const family = families.get(name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}

/** The count of an unlabelled histogram (its +Inf bucket). */
export function histogramCount(families: Map<string, PrometheusFamily>, name: string): number {
  const sample = families.get(name)?.metrics[0];
  return Number(sample?.count ?? sample?.buckets?.["+Inf"] ?? 0);
}
