/**
 * Vitest setup file: fast-check draws from the run's seed
 * (`BANANAS_TEST_SEED`), so a failing property replays with it.
 */
import fc from "fast-check"
import { testSeed } from "./Seed.ts"

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: testSeed })
