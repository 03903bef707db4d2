/**
 * The gateway on the wire, against the real server over a private Redis:
 * payloads and results cross HTTP byte for byte both ways (a 20-digit
 * integer, key order, spaces, escapes), and every kind of bad input is a
 * clear typed error with nothing written.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as RawJson from "../../src/domain/RawJson.ts"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Tasks from "../../src/Tasks.ts"
import { Raw } from "../contract/Raw.ts"
import { respond } from "../contract/Fixtures.ts"
import { apiKey, overRedis } from "./Fixtures.ts"

const auth = { authorization: `Bearer ${apiKey}` }
const jsonHeaders = { ...auth, "content-type": "application/json" }

/** Byte-sensitive JSON: a 20-digit integer, integer-like keys after others, spaces, escapes, a trailing zero. */
const exact = `{"z":1, "2":"two","big":12345678901234567890,"nested":{"b":[1,2.50,3e2],"a":null},"s":"<\\u00e9>\\n"}`

const http = (path: string, init: RequestInit = {}) =>
  Effect.flatMap(Gateway.localUrl, (base) =>
    Effect.promise(async () => {
      const response = await fetch(`${base}${path}`, init)
      const text = await response.text()
      return { status: response.status, text, headers: response.headers, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) }
    }))

const fresh = Effect.gen(function*() {
  const queue = yield* JobQueue
  const raw = yield* Raw
  yield* raw.purge(queue.protocol.keys.prefix)
  return { keys: queue.protocol.keys, raw }
})

layer(overRedis(), { timeout: 30_000, excludeTestServices: true })("gateway wire", (it) => {
  it.effect("a payload submitted with curl is stored byte for byte and read back byte for byte", () =>
    Effect.gen(function*() {
      const { keys, raw } = yield* fresh
      const submitted = yield* http("/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"echo","payload":${exact}}` })
      assert.strictEqual(submitted.status, 201)
      const id = submitted.body!.id as string
      assert.include((yield* raw.get(keys.job(id)))!, `"payload":${exact},`)
      const got = yield* http(`/v1/jobs/${id}`, { headers: auth })
      assert.strictEqual(got.status, 200)
      assert.strictEqual(got.text, (yield* raw.get(keys.job(id)))!, "GET /v1/jobs/{id} is Go's job JSON as stored")
      // The HTTP TaskApi hands the same bytes to the program.
      assert.strictEqual((yield* Tasks.getJob(id)).payload, exact)
    }))

  it.effect("a result stored by a worker is returned byte for byte, over curl and the HTTP TaskApi", () =>
    Effect.gen(function*() {
      yield* fresh
      yield* respond((job) => ({ _tag: "Complete", result: job.payload }))
      const called = yield* http("/v1/jobs/call?wait=10s", { method: "POST", headers: jsonHeaders, body: `{"name":"echo","payload":${exact}}` })
      assert.strictEqual(called.status, 200)
      assert.include(called.text, `"result":${exact},`)
      const id = called.body!.job_id as string
      const result = yield* http(`/v1/jobs/${id}/result`, { headers: auth })
      assert.strictEqual(result.text, called.text)
      assert.strictEqual(Option.getOrThrow(yield* Tasks.getResult(id)).result, exact)
      // And a program submitting raw bytes over HTTP gets them back.
      const sent = yield* Tasks.submitAndWait("echo", new RawJson.Raw(exact as RawJson.RawJson), { timeout: "10 seconds" })
      assert.strictEqual(sent.result, exact)
    }))

  it.effect("bad input: a typed error naming what is wrong, and nothing written", () =>
    Effect.gen(function*() {
      const { keys, raw } = yield* fresh
      const cases: ReadonlyArray<readonly [string, string, RequestInit, number, string, string?]> = [
        ["malformed JSON", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"x",` }, 400, "ValidationError", "body"],
        ["not an object", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `[1,2]` }, 400, "ValidationError"],
        ["wrong type", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":42}` }, 400, "ValidationError", "name"],
        ["wrong nested type", "/v1/jobs/batch", { method: "POST", headers: jsonHeaders, body: `{"entries":[{"name":"a"},{"name":"b","maxRetries":"3"}]}` }, 400, "ValidationError", "entries[1].maxRetries"],
        ["unknown field", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"x","priorty":"high"}` }, 400, "ValidationError", "priorty"],
        ["unknown query", "/v1/jobs?colour=red", { headers: auth }, 400, "ValidationError", "colour"],
        ["empty name", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":" "}` }, 400, "ValidationError", "name"],
        ["bad priority", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"x","priority":"urgent"}` }, 400, "ValidationError", "priority"],
        ["past schedule", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"x","scheduledFor":"2001-01-01T00:00:00Z"}` }, 400, "ValidationError", "scheduledFor"],
        ["bad wait", "/v1/jobs/abc/result?wait=soon", { headers: auth }, 400, "ValidationError", "wait"],
        ["bad limit", "/v1/jobs?limit=0", { headers: auth }, 400, "ValidationError", "limit"],
        ["huge body (content-length)", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"x","payload":"${"x".repeat(1_100_000)}"}` }, 413, "PayloadTooLargeError"],
        ["huge body (chunked)", "/v1/jobs", {
          method: "POST",
          headers: jsonHeaders,
          body: new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode(`{"name":"x","payload":"`))
              c.enqueue(new TextEncoder().encode("y".repeat(1_100_000)))
              c.enqueue(new TextEncoder().encode(`"}`))
              c.close()
            }
          }),
          duplex: "half"
        } as RequestInit, 413, "PayloadTooLargeError"],
        ["payload nested deeper than Go reads", "/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"x","payload":${"[".repeat(20_000)}${"]".repeat(20_000)}}` }, 400, "ValidationError", "payload"],
        ["batch payload nested too deeply", "/v1/jobs/batch", { method: "POST", headers: jsonHeaders, body: `{"entries":[{"name":"ok"},{"name":"x","payload":${"[".repeat(20_000)}${"]".repeat(20_000)}}]}` }, 400, "ValidationError", "entries"],
        ["wrong content type", "/v1/jobs", { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: `{"name":"x"}` }, 415, "UnsupportedMediaTypeError"],
        ["form content type", "/v1/jobs/batch", { method: "POST", headers: { ...auth, "content-type": "application/x-www-form-urlencoded" }, body: `name=x` }, 415, "UnsupportedMediaTypeError"],
        ["missing key", "/v1/jobs", { method: "POST", headers: { "content-type": "application/json" }, body: `{"name":"x"}` }, 401, "AuthenticationError"],
        ["invalid key", "/v1/jobs", { method: "POST", headers: { authorization: "Bearer wrong", "content-type": "application/json" }, body: `{"name":"x"}` }, 401, "AuthenticationError"],
        ["other scheme", "/v1/stats", { headers: { authorization: `Basic ${btoa(`x:${apiKey}`)}` } }, 401, "AuthenticationError"],
        ["unknown route", "/v2/jobs", { headers: auth }, 404, "RouteNotFoundError"],
        ["unknown job", "/v1/jobs/nope", { headers: auth }, 404, "JobNotFoundError"],
        ["cancel unknown", "/v1/jobs/nope", { method: "DELETE", headers: auth }, 404, "JobNotFoundError"],
        ["requeue unknown", "/v1/dead/nope/requeue", { method: "POST", headers: auth }, 404, "JobNotFoundError"]
      ]
      for (const [label, path, init, status, tag, field] of cases) {
        const answer = yield* http(path, init)
        assert.strictEqual(answer.status, status, `${label}: ${answer.text.slice(0, 300)}`)
        assert.strictEqual(answer.headers.get("content-type"), "application/json", label)
        assert.strictEqual(answer.body?._tag, tag, label)
        assert.isString(answer.body?.message, label)
        if (field !== undefined) assert.strictEqual(answer.body?.field, field, `${label}: ${answer.text}`)
      }
      // Only the rate limiter's counter of the key: no job, no result, no queue.
      assert.deepStrictEqual((yield* raw.keys(keys.prefix)).filter((k) => !k.startsWith(`${keys.prefix}ratelimit:`)), [], "nothing written")
    }))

  it.effect("a duplicate id is 200 duplicate=true; with unique it is a 409, and nothing changes", () =>
    Effect.gen(function*() {
      const { keys, raw } = yield* fresh
      const body = `{"name":"once","id":"fixed-1","payload":{"n":1}}`
      assert.strictEqual((yield* http("/v1/jobs", { method: "POST", headers: jsonHeaders, body })).status, 201)
      const stored = yield* raw.get(keys.job("fixed-1"))
      const again = yield* http("/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"twice","id":"fixed-1"}` })
      assert.deepStrictEqual([again.status, again.body], [200, { id: "fixed-1", duplicate: true }])
      const strict = yield* http("/v1/jobs", { method: "POST", headers: jsonHeaders, body: `{"name":"thrice","id":"fixed-1","unique":true}` })
      assert.strictEqual(strict.status, 409)
      assert.strictEqual(strict.body?._tag, "JobConflictError")
      assert.strictEqual(yield* raw.get(keys.job("fixed-1")), stored)
    }))
})
