/**
 * The Prometheus text answer written in pieces instead of built as one string. Registry.metrics() formats
 * every series of a metric into one string and then the whole answer into another: with 5,000 reports that is
 * 25,000 trivy_image_vulnerabilities lines, ~8 MiB of text held twice at the peak of a scrape (~80 MiB of RSS,
 * src/operator/README.md "Memory"). Here each metric's series go through prom-client's own formatter a chunk at
 * a time, so the text is byte for byte what Registry.metrics() gives and only one chunk is alive at once.
 */
import { type Metric, type MetricObject, Registry } from 'prom-client';

/** Series per formatted chunk: ~100 KiB of text for trivy_image_vulnerabilities. */
const SERIES_PER_CHUNK = 500;

type MetricValue = { values?: Iterable<unknown> } & Record<string, unknown>;

/**
 * Writes the registry's text exposition through `write`, which resolves once the chunk may be followed
 * (e.g. after the socket drained). Only the Prometheus text format: the OpenMetrics one renames counters and
 * ends differently, and the operator's registry never uses it.
 */
export async function writeMetricsText(
  registry: Registry,
  write: (chunk: string) => Promise<void>,
): Promise<void> {
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE)
    throw new Error(`streamed metrics support ${Registry.PROMETHEUS_CONTENT_TYPE} only`);
  let first = true;
  for (const metric of registry.getMetricsAsArray()) {
    if (!first) await write('\n\n');
    first = false;
    await writeMetric(metric, write);
  }
  await write('\n');
}

async function writeMetric(metric: MetricObject, write: (chunk: string) => Promise<void>): Promise<void> {
  // getMetricsAsArray() is typed as plain objects; they are the registered metrics, with get() (and, for
  // histograms, getForPromString(), which Registry.metrics() prefers).
  const live = metric as unknown as Metric & { getForPromString?: () => Promise<MetricValue> };
  const got = (
    typeof live.getForPromString === 'function' ? await live.getForPromString() : await live.get()
  ) as MetricValue;
  // prom-client's formatter, through its public API: a scratch registry holding a stand-in for this metric
  // whose get() gives one chunk of its series. The first chunk keeps the HELP and TYPE lines.
  const scratch = new Registry();
  let header = true;
  let chunk: unknown[] = [];
  const flush = async () => {
    const values = chunk;
    chunk = [];
    scratch.removeSingleMetric(metric.name);
    scratch.registerMetric({ name: metric.name, get: async () => ({ ...got, values }) } as unknown as Metric);
    const text = await scratch.getSingleMetricAsString(metric.name);
    if (header) {
      header = false;
      await write(text);
      return;
    }
    const body = text.split('\n').slice(2).join('\n');
    if (body !== '') await write(`\n${body}`);
  };
  for (const value of got.values ?? []) {
    chunk.push(value);
    if (chunk.length >= SERIES_PER_CHUNK) await flush();
  }
  if (header || chunk.length > 0) await flush();
}
