/**
 * `node scripts/audit-wire.ts <redis-url> [prefix]` (or `npm run audit-wire
 * -- <redis-url> [prefix]`): audits every Bananas key under `prefix`
 * (default `bananas:`) of the Redis at `<redis-url>` against the wire
 * shape of docs/PROTOCOL.md, prints one line per problem and then a
 * summary line (`jobs=… results=… problems=…`). Exit code 0 when nothing
 * is wrong, 1 when a problem was found, 2 on bad arguments or when Redis
 * cannot be reached. Read-only: it only runs SCAN, TYPE, GET, HGETALL,
 * LRANGE, ZRANGE and PTTL.
 */
import { Redis } from "ioredis"
import { audit, summary } from "../test/support/WireAudit.ts"

const usage = "usage: node scripts/audit-wire.ts <redis-url> [prefix]   (e.g. redis://127.0.0.1:6379 bananas:)"

const main = async (args: ReadonlyArray<string>): Promise<number> => {
  const [url, prefix = "bananas:"] = args
  if (url === undefined || args.length > 2 || !/^rediss?:\/\//.test(url)) {
    process.stderr.write(`${usage}\n`)
    return 2
  }
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on("error", () => {})
  try {
    await redis.connect()
  } catch (error) {
    process.stderr.write(`cannot connect to ${url}: ${error instanceof Error ? error.message : String(error)}\n`)
    redis.disconnect()
    return 2
  }
  try {
    const report = await audit(redis, prefix)
    for (const line of report.problems) process.stdout.write(`${line}\n`)
    process.stdout.write(`${summary(report)}\n`)
    return report.problems.length === 0 ? 0 : 1
  } finally {
    redis.disconnect()
  }
}

process.exitCode = await main(process.argv.slice(2))
