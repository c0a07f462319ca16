// benchmark.js finds lodash with a require() call that a browser bundle cannot serve, and then
// falls back to the global `_`; this module, imported before it, provides that global.
import lodash from "lodash";

globalThis._ = lodash;
