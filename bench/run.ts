// `npm run bench [-- --quick]`: kernel and model benchmarks against the peers, printed and written
// to bench/results/ (kernels.json, models.json, models.svg, sizes.json, browser-threads.json).
import { parseArgs } from "node:util";
import { writeModelChart } from "./chart.js";
import { benchmarkKernels, printKernelRows, writeKernelRows } from "./kernels.js";
import { benchmarkModels, formatModelTable, writeModelRows } from "./models.js";
import { formatSizes, measureSizes, writeSizes } from "./sizes.js";
import { benchmarkBrowserThreads, formatBrowserThreadRows, writeBrowserThreadRows } from "./browser-threads.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const quick = values.quick ?? false;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const kernelRows = await benchmarkKernels({ quick, log });
console.log("\nKernels (single thread, median of benchmark.js samples):\n");
console.log(printKernelRows(kernelRows));
writeKernelRows(kernelRows);

const modelRows = await benchmarkModels({ quick, log });
console.log("\nModels (median ms per session.run):\n");
console.log(formatModelTable(modelRows));
writeModelRows(modelRows);
writeModelChart(modelRows);

const sizes = measureSizes();
console.log("\nSize on the wire:\n");
console.log(formatSizes(sizes));
writeSizes(sizes);
const browserThreadRows = await benchmarkBrowserThreads({ quick, log });
if (browserThreadRows.length > 0) {
  console.log("\nThreads in Chromium (module Web Workers, cross-origin isolated page):\n");
  console.log(formatBrowserThreadRows(browserThreadRows));
  writeBrowserThreadRows(browserThreadRows);
}
console.log("\nwrote bench/results/{kernels,models,sizes,browser-threads}.json and models.svg");
