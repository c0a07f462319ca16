// Ordering and naming of model benchmark rows, shared by the table and the chart.
import type { ModelRow, Runtime } from "./peers/types.js";

const RUNTIME_ORDER: readonly Runtime[] = ["ours", "js", "tfjs-wasm", "ort-web", "ort-node"];
const PRECISION_ORDER: readonly ModelRow["precision"][] = ["int8", "uint8", "fp32"];
const SHORT_NAMES: Readonly<Record<Runtime, string>> = { ours: "ours", js: "js", "tfjs-wasm": "tfjs", "ort-web": "ort", "ort-node": "ort-node" };

type Series = Pick<ModelRow, "runtime" | "precision" | "threads">;

/** Runtime, then precision, then threads: ours first, ONNX Runtime last. */
export function compareSeries(a: Series, b: Series): number {
  return (
    RUNTIME_ORDER.indexOf(a.runtime) - RUNTIME_ORDER.indexOf(b.runtime) ||
    PRECISION_ORDER.indexOf(a.precision) - PRECISION_ORDER.indexOf(b.precision) ||
    a.threads - b.threads
  );
}

/** Model, batch, then series. */
export function compareRows(a: ModelRow, b: ModelRow): number {
  return a.model.localeCompare(b.model) || a.batch - b.batch || compareSeries(a, b);
}

/** The name of a runtime/precision/threads series, e.g. "ort uint8 2t". */
export function seriesName(row: Series): string {
  return `${SHORT_NAMES[row.runtime]} ${row.precision}${row.threads > 1 ? ` ${row.threads}t` : ""}`;
}

/** The distinct series of the rows, single-threaded ones first, each group in series order. */
export function seriesOf(rows: readonly ModelRow[]): Series[] {
  const unique = new Map(rows.map((r) => [seriesName(r), { runtime: r.runtime, precision: r.precision, threads: r.threads }]));
  return [...unique.values()].sort((a, b) => Math.min(a.threads, 2) - Math.min(b.threads, 2) || compareSeries(a, b));
}

/** The (model, batch) pairs of the rows, in row order. */
export function modelBatches(rows: readonly ModelRow[]): { model: string; batch: number }[] {
  const sorted = [...rows].sort(compareRows);
  const seen = new Set<string>();
  return sorted.flatMap(({ model, batch }) => {
    const key = `${model}\u0000${batch}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ model, batch }];
  });
}
