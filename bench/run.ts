/**
 * `npm run bench`: every benchmark, each on its own private redis-server,
 * printing throughput with ratios against the peers measured in this run
 * (raw ioredis, the floor; BullMQ, the strongest Node peer).
 * Sizes: BENCH_N, BENCH_RPC_N, BENCH_WORKER_N, BENCH_LATENCY_N.
 */
import { runClientBench } from "./client.ts"
import { printTable } from "./support.ts"
import { printLatency, runWorkerBench } from "./worker.ts"

const clientRows = await runClientBench()
const worker = await runWorkerBench()
printTable([...clientRows, ...worker.rows])
printLatency(worker)
