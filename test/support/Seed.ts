/**
 * The one source of randomness in tests. A run's seed comes from
 * `BANANAS_TEST_SEED` (set it to replay a run); without it
 * `vitest.config.ts` draws one and puts it in the environment, so test
 * workers and the processes they spawn share it, and the summary reporter
 * prints it when a run fails. fast-check uses it too (`seedSetup.ts`).
 *
 * `random(label)` gives an independent stream per label (a file or a
 * fixture names its own), so adding a draw in one test does not shift the
 * draws of another.
 */

/** The environment variable holding the run's seed. */
export const seedVariable = "BANANAS_TEST_SEED"

/** Parses a seed (a non-negative 32-bit integer), or fails with a line saying what was wrong. */
export const parseSeed = (text: string): number => {
  const seed = Number(text)
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new Error(`${seedVariable}=${text}: expected an integer from 0 to ${0xffff_ffff}`)
  }
  return seed
}

/** The run's seed: `BANANAS_TEST_SEED`, which vitest.config.ts always sets (a fixture run by hand without it gets 0). */
export const testSeed: number = parseSeed(process.env[seedVariable] ?? "0")

/** FNV-1a over the label, mixed with the seed: each label its own stream. */
const mix = (seed: number, label: string): number => {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** A PRNG (mulberry32) for `label` under the run's seed (or `seed`): floats in [0, 1), like `Math.random`. */
export const random = (label: string, seed: number = testSeed): () => number => {
  let state = mix(seed, label)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** An integer in [min, max) drawn from `next`. */
export const between = (next: () => number, min: number, max: number): number => min + Math.floor(next() * (max - min))
