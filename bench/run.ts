// `npm run bench [-- --quick]`: kernel and model benchmarks, printed and written to bench/results/.
import { parseArgs } from "node:util";
import { benchmarkKernels, printKernelRows, writeKernelRows } from "./kernels.js";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const quick = values.quick ?? false;
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const kernelRows = await benchmarkKernels({ quick, log });
console.log("\nKernels (single thread, median of benchmark.js samples):\n");
console.log(printKernelRows(kernelRows));
writeKernelRows(kernelRows);
console.log("\nwrote bench/results/kernels.json");
