// Property tests explore new random cases on every local run; in CI they replay one fixed seed
// (override with FC_SEED) so that a red build is reproducible and never a dice roll.
import { fc } from "@fast-check/vitest";

if (process.env.CI) fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261124) });
