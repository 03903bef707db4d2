/**
 * Test harness: an `add` job (`{ a, b }` → `{ sum }`) whose handler counts
 * the runs of each job id, for end-to-end tests that check every job ran once.
 */
import * as Effect from "effect/Effect"
import * as Handlers from "../../src/worker/HandlerRegistry.ts"

/** The handlers, and the runs per job id they have counted so far. */
export const countingAdd = () => {
  const runs = new Map<string, number>()
  const handlers = Handlers.empty.pipe(
    Handlers.addRaw("add", ({ decode, job }) =>
      Effect.map(decode, (p) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1)
        const { a, b } = p as { a: number; b: number }
        return { sum: a + b }
      }))
  )
  return { runs, handlers }
}
