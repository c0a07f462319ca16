// The model table as an SVG bar chart, written by hand (no dependency): one panel per model and
// batch size (models down, batch sizes across), one horizontal bar per runtime/precision/threads
// series with its median time, each panel on its own linear scale; a legend on top.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { compareRows, modelBatches, seriesName, seriesOf } from "./model-rows.js";
import type { ModelRow, Runtime } from "./peers/types.js";

const PANEL_WIDTH = 460;
const LABEL_WIDTH = 100;
const VALUE_WIDTH = 70;
const BAR_HEIGHT = 14;
const ROW_HEIGHT = 19;
const PANEL_TITLE = 26;
const PANEL_GAP = 24;
const MARGIN = 20;
const LEGEND_ROW = 20;
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

/** A hue per runtime; lighter for fp32, and 2 threads drawn hatched. */
const COLOURS: Readonly<Record<Runtime, { quantized: string; fp32: string }>> = {
  ours: { quantized: "#c0392b", fp32: "#e6a09a" },
  js: { quantized: "#555555", fp32: "#9e9e9e" },
  "tfjs-wasm": { quantized: "#d35400", fp32: "#f0a35e" },
  "ort-web": { quantized: "#1f5fa8", fp32: "#86b3e0" },
  "ort-node": { quantized: "#1e8449", fp32: "#82c99a" },
};

function colourOf(row: Pick<ModelRow, "runtime" | "precision">): string {
  const hue = COLOURS[row.runtime];
  return row.precision === "fp32" ? hue.fp32 : row.precision === "uint8" ? shade(hue.quantized) : hue.quantized;
}

/** A darker shade, telling ONNX Runtime's uint8 form from its int8 one. */
function shade(hex: string): string {
  const channels = [1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * 0.6));
  return `#${channels.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fill(row: Pick<ModelRow, "runtime" | "precision" | "threads">): string {
  return row.threads > 1 ? `url(#hatch-${seriesName(row).replace(/\W+/g, "-")})` : colourOf(row);
}

function hatchPatterns(series: readonly Pick<ModelRow, "runtime" | "precision" | "threads">[]): string {
  return series
    .filter((s) => s.threads > 1)
    .map(
      (s) =>
        `<pattern id="hatch-${seriesName(s).replace(/\W+/g, "-")}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
        `<rect width="6" height="6" fill="${colourOf(s)}"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern>`,
    )
    .join("\n");
}

function formatMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

export function renderModelChart(rows: readonly ModelRow[]): string {
  const sorted = [...rows].sort(compareRows);
  const series = seriesOf(sorted);
  const models = [...new Set(sorted.map((r) => r.model))];
  const batches = [...new Set(sorted.map((r) => r.batch))].sort((a, b) => a - b);
  const panelHeight = PANEL_TITLE + series.length * ROW_HEIGHT;
  const legendPerRow = Math.max(1, Math.floor((batches.length * (PANEL_WIDTH + PANEL_GAP)) / 130));
  const legendHeight = Math.ceil(series.length / legendPerRow) * LEGEND_ROW;
  const top = MARGIN + 24 + legendHeight + 10;
  const width = 2 * MARGIN + batches.length * PANEL_WIDTH + (batches.length - 1) * PANEL_GAP;
  const height = top + models.length * (panelHeight + PANEL_GAP) + MARGIN;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<defs>${hatchPatterns(series)}</defs>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 12}" font-size="15" font-weight="bold">Latency per call (median ms, lower is better; hatched: 2 threads)</text>`,
  ];
  series.forEach((s, i) => {
    const x = MARGIN + (i % legendPerRow) * 130;
    const y = MARGIN + 24 + Math.floor(i / legendPerRow) * LEGEND_ROW;
    parts.push(`<rect x="${x}" y="${y}" width="14" height="12" fill="${fill(s)}"/>`, `<text x="${x + 19}" y="${y + 10}">${escapeXml(seriesName(s))}</text>`);
  });
  for (const { model, batch } of modelBatches(sorted)) {
    const px = MARGIN + batches.indexOf(batch) * (PANEL_WIDTH + PANEL_GAP);
    const py = top + models.indexOf(model) * (panelHeight + PANEL_GAP);
    const group = sorted.filter((r) => r.model === model && r.batch === batch);
    const max = Math.max(...group.map((r) => r.msMedian));
    const barSpace = PANEL_WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    parts.push(
      `<text x="${px}" y="${py + 14}" font-size="13" font-weight="bold">${escapeXml(model)} · batch ${batch}</text>`,
      `<line x1="${px + LABEL_WIDTH}" y1="${py + PANEL_TITLE - 4}" x2="${px + LABEL_WIDTH}" y2="${py + panelHeight}" stroke="#999999"/>`,
    );
    series.forEach((s, i) => {
      const row = group.find((r) => seriesName(r) === seriesName(s));
      const y = py + PANEL_TITLE + i * ROW_HEIGHT;
      parts.push(`<text x="${px + LABEL_WIDTH - 6}" y="${y + 11}" text-anchor="end">${escapeXml(seriesName(s))}</text>`);
      if (!row) {
        parts.push(`<text x="${px + LABEL_WIDTH + 6}" y="${y + 11}" fill="#999999">n/a</text>`);
        return;
      }
      const length = Math.max(1, (row.msMedian / max) * barSpace);
      parts.push(
        `<rect x="${px + LABEL_WIDTH}" y="${y}" width="${length.toFixed(1)}" height="${BAR_HEIGHT}" fill="${fill(row)}"><title>${escapeXml(`${seriesName(row)}: ${row.msMedian.toFixed(4)} ms`)}</title></rect>`,
        `<text x="${(px + LABEL_WIDTH + length + 5).toFixed(1)}" y="${y + 11}">${formatMs(row.msMedian)} ms</text>`,
      );
    });
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

export function writeModelChart(rows: readonly ModelRow[], path = "bench/results/models.svg"): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderModelChart(rows));
}
