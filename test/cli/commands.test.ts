/**
 * The `bananas` commands run in-process, the same suite on the in-memory
 * backend and on a real Redis (the test file's own redis-server, a fresh
 * prefix per test): output (text and `--json`), exit codes, and what ends
 * up in the queue — nothing for bad input.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Backend from "../../src/cli/Backend.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import * as Bananas from "../../src/Bananas.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import { idOf, type Run, runCli, type RunOptions } from "./support.ts"

const handlers = "examples/cli-handlers.ts"


/** Runs invocations on one fresh queue (its own in-memory queue, or its own Redis prefix). */
type Runner = (args: ReadonlyArray<string>, options?: RunOptions) => Effect.Effect<Run>

const suite = <R>(name: string, outer: Layer.Layer<R>, makeRunner: Effect.Effect<Runner, never, R | Scope.Scope>) =>
  layer(outer, { timeout: 60_000, excludeTestServices: true })(name, (it) => {
    const fresh = <A, E>(body: (run: Runner) => Effect.Effect<A, E>) => Effect.scoped(Effect.flatMap(makeRunner, body))

    it.effect("submit keeps the payload byte for byte; get shows it, as text and JSON", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const payload = `{"n":12345678901234567890,"s":"é <&>"}`
          const submitted = yield* run(["--json", "submit", "big", "--data", payload, "--priority", "high", "--max-retries", "5"])
          assert.strictEqual(submitted.code, 0, submitted.stderr)
          const id = idOf(submitted)
          assert.deepStrictEqual(JSON.parse(submitted.stdout), { id, duplicate: false })
          const json = yield* run(["get", id, "--json"])
          assert.strictEqual(json.code, 0)
          assert.include(json.stdout, `"payload":${payload}`)
          assert.include(json.stdout, `"priority":"high"`)
          assert.include(json.stdout, `"max_retries":5`)
          const text = yield* run(["get", id])
          assert.match(text.stdout, new RegExp(`^id\\s+${id}$`, "m"))
          assert.match(text.stdout, /^status\s+pending$/m)
          assert.match(text.stdout, /^created\s+\S+ \((just now|\d+ s ago)\)$/m)
          const payloadLine = text.stdout.split("\n").find((l) => l.startsWith("payload "))
          assert.strictEqual(payloadLine?.replace(/^payload\s+/, ""), payload)
        })))

    it.effect("the payload comes from --data, --file, or stdin; bad JSON is a usage error and writes nothing", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const piped = yield* run(["--json", "submit", "from_stdin"], { stdin: `{"via":"stdin"}\n` })
          assert.strictEqual(piped.code, 0, piped.stderr)
          const viaStdin = yield* run(["--json", "get", idOf(piped)])
          assert.include(viaStdin.stdout, `"payload":{"via":"stdin"}`)
          const none = yield* run(["--json", "submit", "no_payload"])
          assert.include((yield* run(["--json", "get", idOf(none)])).stdout, `"payload":{}`)
          const bad = yield* run(["submit", "x", "--data", "{nope"])
          assert.strictEqual(bad.code, 2)
          assert.match(bad.stderr, /^error: --data is not valid JSON \(.+\)$/)
          const missing = yield* run(["submit", "x", "--file", "/nonexistent/payload.json"])
          assert.strictEqual(missing.code, 2)
          assert.match(missing.stderr, /^error: cannot read \/nonexistent\/payload\.json/)
          const both = yield* run(["submit", "x", "--data", "1", "--file", "-"])
          assert.strictEqual(both.code, 2)
          const stats = yield* run(["--json", "stats"])
          assert.deepStrictEqual(JSON.parse(stats.stdout).queued, { high: 0, normal: 2, low: 0 })
        })))

    it.effect("bad flags are usage errors (exit 2, one line and a pointer to --help), nothing written", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const cases: ReadonlyArray<[ReadonlyArray<string>, RegExp]> = [
            [["submit", "x", "--priority", "urgent"], /--priority/],
            [["submit", "x", "--in", "soon"], /--in: "soon" is not a duration/],
            [["submit", "x", "--at", "2026-12-01T10:00:00"], /--at: .* is not a time with a zone/],
            [["submit", "x", "--at", "2001-01-01T00:00:00Z"], /past/],
            [["submit", "x", "--in", "1s", "--at", "2030-01-01T00:00:00Z"], /--at or --in, not both/],
            [["submit", "x", "--route", "no spaces"], /routing key/],
            [["submit", "x", "--unique"], /--unique needs --id/],
            [["submit"], /exactly one of NAME, --batch FILE or --interactive/],
            [["submit", "x", "--bogus"], /Unrecognized flag: --bogus/],
            [["nope"], /Unknown subcommand/],
            [["dlq", "requeue"], /exactly one of ID or --all/],
            [["list", "--limit", "0"], /limit/],
            [["worker"], /handlers/]
          ]
          for (const [args, pattern] of cases) {
            const r = yield* run(args)
            assert.strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`)
            assert.match(r.stderr, pattern, args.join(" "))
            assert.match(r.stderr, /^error: /, args.join(" "))
          }
          assert.deepStrictEqual(JSON.parse((yield* run(["--json", "stats"])).stdout), {
            queued: { high: 0, normal: 0, low: 0 },
            processing: 0,
            scheduled: 0,
            dead: 0
          })
        })))

    it.effect("scheduled submissions show in stats and list; cancel works once", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const later = yield* run(["submit", "report", "--in", "10m", "--description", "nightly"])
          assert.strictEqual(later.code, 0, later.stderr)
          assert.match(later.stdout, /^scheduled \S+ for \S+ \(in (9|10) min\)$/)
          const at = yield* run(["--json", "submit", "at_job", "--at", "2099-01-01T00:00:00Z"])
          const stats = yield* run(["stats"])
          assert.match(stats.stdout, /^scheduled\s+2$/m)
          assert.match(stats.stdout, /^QUEUE\s+JOBS$/m)
          const listed = yield* run(["--json", "list", "--status", "scheduled"])
          assert.strictEqual(listed.lines.length, 2)
          for (const line of listed.lines) assert.strictEqual(JSON.parse(line).status, "scheduled")
          const table = yield* run(["list", "--name", "report"])
          assert.match(table.stdout, /^ID\s+NAME\s+STATUS\s+PRIORITY\s+FAILED RUNS\s+CREATED\s+ERROR$/m)
          assert.match(table.stdout, /report\s+scheduled\s+normal\s+0\/3\s+(just now|\d+ s ago)/)
          const id = idOf(at)
          const cancelled = yield* run(["cancel", id])
          assert.strictEqual(cancelled.code, 0, cancelled.stderr)
          assert.strictEqual(cancelled.stdout, `cancelled ${id} (at_job)`)
          const again = yield* run(["cancel", id])
          assert.strictEqual(again.code, 1)
          assert.match(again.stderr, /^error: cannot cancel job/)
          const unknown = yield* run(["get", "no-such-job"])
          assert.strictEqual(unknown.code, 1)
          assert.strictEqual(unknown.stderr, "error: job no-such-job not found")
        })))

    it.effect("list pages: one page and a cursor note, or --all", () =>
      fresh((run) =>
        Effect.gen(function*() {
          for (let i = 0; i < 5; i++) yield* run(["submit", "paged", "--data", String(i)])
          const first = yield* run(["--json", "list", "--limit", "2"])
          assert.isAtMost(first.lines.length, 2)
          assert.match(first.stderr, /^more jobs: pass --cursor \S+ \(or --all\)$/)
          const all = yield* run(["--json", "list", "--all", "--limit", "2"])
          assert.strictEqual(all.lines.length, 5)
          assert.strictEqual(all.stderr, "")
          const payloads = all.lines.map((l) => JSON.parse(l).payload as number).sort()
          assert.deepStrictEqual(payloads, [0, 1, 2, 3, 4])
        })))

    it.effect("submit --batch: valid lines submitted, invalid ones reported by line number and not written", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const file = [
            `{"name":"a","payload":{"n":12345678901234567890}}`,
            `{"name":"b","priority":"urgent"}`,
            `not json`,
            ``,
            `{"name":"c","id":"batch-fixed","max_retries":1,"priority":"low"}`,
            `{"name":"c","id":"batch-fixed"}`,
            `{"nam":"typo"}`,
            `{"name":"d","scheduled_for":"2099-01-01T00:00:00Z"}`,
            `{"name":""}`
          ].join("\n")
          const r = yield* run(["--json", "submit", "--batch", "-"], { stdin: file })
          assert.strictEqual(r.code, 2)
          const summary = JSON.parse(r.stdout) as { submitted: number; duplicates: number; invalid: Array<{ line: number }>; ids: Array<string> }
          assert.strictEqual(summary.submitted, 3)
          assert.strictEqual(summary.duplicates, 1)
          assert.deepStrictEqual(summary.invalid.map((i) => i.line), [2, 3, 7, 9])
          assert.strictEqual(summary.ids.length, 4)
          assert.match(r.stderr, /^line 2: invalid priority/m)
          assert.match(r.stderr, /^line 3: not valid JSON/m)
          assert.match(r.stderr, /^line 7: unknown field "nam"/m)
          assert.match(r.stderr, /^line 9: invalid name/m)
          assert.match(r.stderr, /^error: 4 invalid lines skipped/m)
          const stats = JSON.parse((yield* run(["--json", "stats"])).stdout)
          assert.deepStrictEqual(stats.queued, { high: 0, normal: 1, low: 1 })
          assert.strictEqual(stats.scheduled, 1)
          const a = yield* run(["--json", "get", summary.ids[0]!])
          assert.include(a.stdout, `"payload":{"n":12345678901234567890}`)
          const ok = yield* run(["submit", "--batch", "-"], { stdin: `{"name":"e"}\n{"name":"f"}\n` })
          assert.strictEqual(ok.code, 0, ok.stderr)
          assert.strictEqual(ok.stdout, "submitted 2 jobs")
          const empty = yield* run(["submit", "--batch", "-"], { stdin: "\n\n" })
          assert.strictEqual(empty.code, 2)
          const mixed = yield* run(["submit", "--batch", "-", "--priority", "high"], { stdin: `{"name":"e"}` })
          assert.strictEqual(mixed.code, 2)
        })))

    it.effect("worker, call, wait, result and the dead letters, end to end", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const worker = yield* Effect.forkChild(run(["worker", "--handlers", handlers, "--concurrency", "4", "--log-level", "none"]))
          const called = yield* run(["call", "greet", "--data", `{"name":"Ada"}`, "--timeout", "20s"])
          assert.strictEqual(called.code, 0, called.stderr)
          assert.strictEqual(called.stdout, `{"greeting":"Hello, Ada!"}`)
          const echoed = yield* run(["--json", "call", "echo", "--data", `{"n":12345678901234567890}`])
          assert.strictEqual(echoed.code, 0, echoed.stderr)
          assert.deepInclude(echoed.stdout, `"status":"completed","result":{"n":12345678901234567890}`)
          const failed = yield* run(["call", "always_fails", "--max-retries", "1", "--timeout", "20s"])
          assert.strictEqual(failed.code, 1)
          assert.match(failed.stderr, /^error: job \S+ failed: this job always fails$/)
          const submitted = yield* run(["--json", "submit", "always_fails", "--max-retries", "1"])
          const id = idOf(submitted)
          const waited = yield* run(["wait", id, "--timeout", "20s"])
          assert.strictEqual(waited.code, 1)
          assert.match(waited.stdout, /^status\s+failed$/m)
          assert.match(waited.stdout, /^error\s+this job always fails$/m)
          const result = yield* run(["--json", "result", id])
          assert.strictEqual(result.code, 0)
          assert.strictEqual(JSON.parse(result.stdout).status, "failed")

          const dead = yield* run(["--json", "dlq", "list"])
          assert.strictEqual(dead.lines.length, 2)
          const requeued = yield* run(["dlq", "requeue", id])
          assert.strictEqual(requeued.code, 0, requeued.stderr)
          assert.match(requeued.stdout, new RegExp(`^requeued ${id} \\(always_fails, normal\\)$`))
          yield* run(["wait", id, "--timeout", "20s"])
          const all = yield* run(["--json", "dlq", "requeue", "--all"])
          assert.strictEqual(all.code, 0, all.stderr)
          assert.deepStrictEqual(JSON.parse(all.stdout), { requeued: 2, failed: [] })
          yield* run(["wait", id, "--timeout", "20s"])
          const refused = yield* run(["dlq", "purge"])
          assert.strictEqual(refused.code, 2)
          assert.match(refused.stderr, /pass --yes/)
          yield* Effect.sleep("300 millis")
          const purged = yield* run(["--json", "dlq", "purge", "--yes"])
          assert.strictEqual(purged.code, 0, purged.stderr)
          assert.strictEqual(JSON.parse(purged.stdout).purged, 2)
          assert.strictEqual(JSON.parse((yield* run(["--json", "stats"])).stdout).dead, 0)
          yield* Fiber.interrupt(worker)
        })))

    it.effect("queue pause and resume: a worker takes nothing from a paused queue, other priorities flow, stats shows it, resume runs it", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const paused = yield* run(["queue", "pause", "normal"])
          assert.strictEqual(paused.code, 0, paused.stderr)
          assert.match(paused.stdout, /^paused normal: our workers take nothing from it until 'bananas queue resume'/)
          const routed = yield* run(["--json", "queue", "pause", "high", "--route", "gpu"])
          assert.strictEqual(routed.code, 0, routed.stderr)
          assert.deepStrictEqual(JSON.parse(routed.stdout), { priority: "high", routingKey: "gpu" })
          assert.strictEqual((yield* run(["queue", "paused"])).stdout, "normal\nhigh (route gpu)")
          for (const [args, pattern] of [
            [["queue", "pause", "high", "--route", "no spaces"], /routing key must match/],
            [["queue", "pause", "urgent"], /urgent/]
          ] as const) {
            const bad = yield* run(args)
            assert.strictEqual(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`)
            assert.match(bad.stderr, pattern)
          }

          const waiting = idOf(yield* run(["--json", "submit", "echo", "--data", `{"waited":true}`]))
          const worker = yield* Effect.forkChild(run(["worker", "--handlers", handlers, "--concurrency", "2", "--log-level", "none"]))
          // The worker runs (a high job is taken at once) while the paused normal job stays queued.
          const high = yield* run(["call", "greet", "--priority", "high", "--data", `{"name":"Ada"}`, "--timeout", "20s"])
          assert.strictEqual(high.code, 0, high.stderr)
          const stats = yield* run(["--json", "stats"])
          assert.deepStrictEqual(JSON.parse(stats.stdout), {
            queued: { high: 0, normal: 1, low: 0 },
            processing: 0,
            scheduled: 0,
            dead: 0,
            paused: [{ priority: "normal" }, { priority: "high", routingKey: "gpu" }]
          })
          const table = (yield* run(["stats"])).stdout
          assert.match(table, /^normal\s+1 \(paused\)$/m)
          assert.match(table, /^high\s+0$/m)
          assert.match(table, /^paused: high \(route gpu\)$/m)
          assert.strictEqual((yield* run(["--json", "get", waiting])).stdout.includes(`"status":"pending"`), true)

          const resumed = yield* run(["queue", "resume", "normal"])
          assert.strictEqual(resumed.code, 0, resumed.stderr)
          assert.strictEqual(resumed.stdout, "resumed normal")
          const done = yield* run(["--json", "wait", waiting, "--timeout", "20s"])
          assert.strictEqual(done.code, 0, done.stderr)
          assert.strictEqual(JSON.parse(done.stdout).status, "completed")
          yield* run(["queue", "resume", "high", "--route", "gpu"])
          assert.strictEqual((yield* run(["queue", "paused"])).stdout, "no paused queues")
          assert.notProperty(JSON.parse((yield* run(["--json", "stats"])).stdout), "paused")
          yield* Fiber.interrupt(worker)
        })))

    it.effect("a payload that fails its schema: a one-line error, a one-line dead-letter row, counts in the singular", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const worker = yield* Effect.forkChild(run(["worker", "--handlers", handlers, "--log-level", "none"]))
          const failed = yield* run(["call", "greet", "--data", "{}", "--max-retries", "0", "--timeout", "20s"])
          assert.strictEqual(failed.code, 1)
          assert.strictEqual(failed.stderr.split("\n").length, 1, failed.stderr)
          assert.match(failed.stderr, /^error: job \S+ failed: .*Missing key.*name/)
          const listed = yield* run(["dlq", "list"])
          assert.strictEqual(listed.code, 0, listed.stderr)
          assert.strictEqual(listed.lines.length, 2, `a header and one row:\n${listed.stdout}`)
          assert.match(listed.lines[1]!, /greet .*Missing key.*name/)
          const requeued = yield* run(["dlq", "requeue", "--all"])
          assert.strictEqual(requeued.stdout, "requeued 1 job")
          yield* Fiber.interrupt(worker)
        })))

    it.effect("a filtered list keeps scanning until it has matches: a few jobs among thousands are found", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const bulk = Array.from({ length: 4000 }, (_, i) => `{"name":"bulk","payload":{"i":${i}}}`).join("\n")
          assert.strictEqual((yield* run(["submit", "--batch", "-"], { stdin: bulk })).code, 0)
          for (let i = 0; i < 3; i++) assert.strictEqual((yield* run(["submit", "needle"])).code, 0)
          const found = yield* run(["--json", "list", "--name", "needle", "--limit", "3"])
          assert.strictEqual(found.code, 0, found.stderr)
          assert.strictEqual(found.lines.length, 3, `${found.stdout}\n${found.stderr}`)
          const none = yield* run(["list", "--name", "nothing_by_this_name"])
          assert.strictEqual(none.code, 0, none.stderr)
          assert.match(none.stdout, /^(no jobs|no match in the part scanned so far)$/)
        })))

    it.effect("call and wait time out with exit code 4 when no worker runs", () =>
      fresh((run) =>
        Effect.gen(function*() {
          const call = yield* run(["call", "nobody_runs_this", "--timeout", "200ms"])
          assert.strictEqual(call.code, 4)
          assert.match(call.stderr, /^error: .*within 200ms.*--timeout$/)
          const id = idOf(yield* run(["--json", "submit", "nobody"]))
          const wait = yield* run(["wait", id, "-t", "100ms"])
          assert.strictEqual(wait.code, 4)
          const none = yield* run(["result", id])
          assert.strictEqual(none.code, 1)
          assert.match(none.stderr, /has no result/)
        })))

    it.effect("stats --watch prints one snapshot per refresh", () =>
      fresh((run) =>
      Effect.gen(function*() {
        const r = yield* run(["--json", "stats", "--watch", "--count", "3", "--interval", "10ms"])
        assert.strictEqual(r.code, 0, r.stderr)
        assert.strictEqual(r.lines.length, 3)
        for (const line of r.lines) assert.containsAllKeys(JSON.parse(line), ["queued", "processing", "scheduled", "dead"])
        const text = yield* run(["stats", "-w", "--count", "2", "--interval", "10ms"])
        assert.strictEqual(text.stdout.match(/^QUEUE/gm)?.length, 2)
      })))
  })

suite(
  "cli on the in-memory backend",
  Layer.empty,
  Effect.map(Layer.build(Layer.orDie(Bananas.layerMemory())), (services): Runner => (args, options) =>
    runCli(args, options).pipe(Effect.provide(Backend.layerServices(services))))
)

suite(
  "cli on Redis",
  RedisServer.layer,
  Effect.map(Effect.service(RedisServer), (server): Runner => {
    const base = ["--redis-url", server.url, "--prefix", uniquePrefix("cli")]
    return (args, options) => runCli([...base, ...args], options).pipe(Effect.provide(Backend.layerLive))
  })
)

suite(
  "cli over HTTP (the gateway on Redis)",
  RedisServer.layer,
  Effect.gen(function*() {
    const server = yield* RedisServer
    const services = yield* Layer.build(Bananas.layerRedis({ url: server.url, prefix: uniquePrefix("cli-http") }))
    const gateway = yield* Layer.build(Gateway.layer({ apiKeys: ["cli:k3y"], port: 0, host: "127.0.0.1", accessLog: false }).pipe(
      Layer.provide(Layer.succeedContext(services))
    ))
    const url = yield* Effect.provideContext(Gateway.localUrl, gateway)
    // Client commands go over HTTP; the worker (a job-running command) uses the gateway's Redis.
    const backend = Layer.succeed(Backend.Backend, {
      client: () => ({ transport: "http", layer: Bananas.layerHttp({ url, apiKey: "k3y" }) }),
      queue: () => Layer.succeedContext(services),
      describe: () => `the gateway at ${url}`
    })
    const base = ["--api-url", url, "--api-key", "k3y"]
    // The job-running commands refuse --api-url (they run on Redis).
    const onRedis = new Set(["worker", "scheduler", "reaper", "serve"])
    return ((args, options) =>
      runCli([...(onRedis.has(args[0] ?? "") ? [] : base), ...args], options).pipe(Effect.provide(backend))) satisfies Runner
  }).pipe(Effect.orDie)
)
