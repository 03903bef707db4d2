/**
 * Benchmark helpers: a private redis-server per scenario, timing, and the
 * table printed with ratios against the peers measured in the same run.
 */
import { startRedisServer } from "../test/support/RedisServer.ts"

export interface Row {
  readonly scenario: string
  readonly impl: string
  readonly ops: number
  readonly millis: number
  readonly note?: string
}

/** Runs `body` against a fresh private redis-server, stopped afterwards. */
export const withRedis = async <A>(body: (url: string, port: number) => Promise<A>): Promise<A> => {
  const server = await startRedisServer()
  try {
    return await body(server.url, server.port)
  } finally {
    await server.stop()
  }
}

/** Wall time of `body` in milliseconds. */
export const time = async (body: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await body()
  return performance.now() - start
}

/** Runs `task(i)` for i < n with at most `concurrency` in flight. */
export const pool = async (n: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> => {
  let next = 0
  const lanes = Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await task(next++)
  })
  await Promise.all(lanes)
}

/** Prints rows grouped by scenario, each with ops/s and its ratio to the first row of the scenario. */
export const printTable = (rows: ReadonlyArray<Row>): void => {
  const out: Array<string> = []
  const scenarios = [...new Set(rows.map((r) => r.scenario))]
  for (const scenario of scenarios) {
    const group = rows.filter((r) => r.scenario === scenario)
    const base = group[0]!
    out.push(`\n## ${scenario}`)
    out.push(`${"implementation".padEnd(34)} ${"ops".padStart(7)} ${"ms".padStart(9)} ${"ops/s".padStart(10)}  vs ${base.impl}`)
    for (const r of group) {
      const rate = (r.ops / r.millis) * 1000
      const baseRate = (base.ops / base.millis) * 1000
      out.push(`${r.impl.padEnd(34)} ${String(r.ops).padStart(7)} ${r.millis.toFixed(0).padStart(9)} ${rate.toFixed(0).padStart(10)}  x${(rate / baseRate).toFixed(2)}${r.note ? `  (${r.note})` : ""}`)
    }
  }
  process.stdout.write(out.join("\n") + "\n")
}
