// The main job's results: rows as results/accuracy.json holds them, and the Markdown tables.

export interface AccuracyRow {
  readonly model: string;
  readonly precision: "fp32" | "int";
  readonly method: string;
  readonly bits: number;
  readonly granularity: "per-channel" | "per-tensor";
  /** Top-1 accuracy as a fraction of 1. */
  readonly accuracy: number;
  readonly fp32Accuracy: number;
  readonly bytes: number;
  readonly fp32Bytes: number;
  readonly latencyB1Ms: number;
  readonly latencyB64Ms: number;
}

export interface RunInfo {
  readonly testImages: number;
  readonly calibrationImages: number;
  readonly seconds: number;
}

const percent = (x: number) => (100 * x).toFixed(2);
const points = (x: number) => (x >= 0 ? "+" : "") + (100 * x).toFixed(2);

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** Per model: fp32, then the best int row at each bit width (ties: per-channel first). */
function bestRows(rows: readonly AccuracyRow[]): AccuracyRow[] {
  const result: AccuracyRow[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const own = rows.filter((r) => r.model === model);
    result.push(...own.filter((r) => r.precision === "fp32"));
    for (const bits of [...new Set(own.filter((r) => r.precision === "int").map((r) => r.bits))].sort((a, b) => b - a)) {
      const candidates = own.filter((r) => r.precision === "int" && r.bits === bits && r.method !== "dynamic");
      if (candidates.length) result.push(candidates.reduce((best, r) => (r.accuracy > best.accuracy ? r : best)));
    }
    result.push(...own.filter((r) => r.method === "dynamic"));
  }
  return result;
}

function cells(r: AccuracyRow): string[] {
  return [
    r.model, r.precision === "fp32" ? "fp32" : `int${r.bits}`, r.method, r.granularity,
    percent(r.accuracy), r.precision === "fp32" ? "" : points(r.accuracy - r.fp32Accuracy),
    String(r.bytes), (r.bytes / r.fp32Bytes).toFixed(4), r.latencyB1Ms.toFixed(3), r.latencyB64Ms.toFixed(2),
  ];
}

const HEADER = ["model", "precision", "method", "granularity", "accuracy %", "vs fp32 (points)", "bytes", "x fp32 size", "batch-1 ms", "batch-64 ms"];

export function formatResultsMarkdown(rows: readonly AccuracyRow[], info: RunInfo): string {
  return [
    `Accuracy on ${info.testImages} Fashion-MNIST test images; calibration on ${info.calibrationImages} training images; ` +
      `latencies are medians of single-threaded session.run calls; ${info.seconds.toFixed(0)} s in all.`,
    "",
    "### Best configuration per bit width",
    "",
    markdownTable(HEADER, bestRows(rows).map(cells)),
    "",
    "### Every configuration",
    "",
    markdownTable(HEADER, rows.map(cells)),
    "",
  ].join("\n");
}
