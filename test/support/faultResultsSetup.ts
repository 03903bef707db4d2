/**
 * Vitest global setup: empties `test-results/faults.json` at the start of a
 * run, so that after a run it holds one line per fault test of that run
 * (see `FaultAudit.record`).
 */
import { rmSync } from "node:fs"
import { faultResultsFile } from "./FaultAudit.ts"

export default function setup(): void {
  rmSync(faultResultsFile, { force: true })
}
