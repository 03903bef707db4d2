/**
 * `npm run bench`: every benchmark, each on its own private redis-server,
 * printing throughput with ratios against the peers measured in this run.
 * Set BENCH_N / BENCH_RPC_N to change sizes.
 */
import { runClientBench } from "./client.ts"
import { printTable } from "./support.ts"

const rows = await runClientBench()
printTable(rows)
