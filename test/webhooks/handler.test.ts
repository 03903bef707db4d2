/**
 * `WebhookHandler`: signatures verified in constant time over the exact
 * bytes, the timestamp tolerance, replays and redeliveries of a processed
 * event acknowledged without running the handler again, typed
 * events dispatched by type (payload and result bytes untouched), handler
 * failures answered with a 500 so the gateway delivers again. Driven
 * through `toWebHandler` with real `Request`s.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Events from "../../src/protocol/Events.ts"
import * as JobModel from "../../src/domain/Job.ts"
import type { RawJson } from "../../src/domain/RawJson.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Signature from "../../src/webhooks/Signature.ts"
import type { WebhookEvent } from "../../src/webhooks/WebhookEvent.ts"
import * as WebhookHandler from "../../src/webhooks/WebhookHandler.ts"

const secret = "whsec-test"
const payload = `{"order":12345678901234567890,"b":1,"a":2}` as RawJson
const now = Timestamp.fromMillis(Date.now())
const job = { ...JobModel.make({ id: "job-1", name: "charge", payload, priority: "high", now, maxRetries: 3 }), status: "completed" as const }
const event = Events.make("job.completed", job, { jobId: "job-1", status: "completed", result: `{"ok":98765432109876543210}` as RawJson, completedAt: now, durationMs: 12 })
const body = Events.encode(event)

const deliver = (
  handler: (request: Request) => Promise<Response>,
  options: { readonly body?: string; readonly secret?: string; readonly at?: number; readonly headers?: Record<string, string>; readonly omit?: string } = {}
) => {
  const text = options.body ?? body
  const timestamp = String(Math.floor((options.at ?? Date.now()) / 1000))
  const headers: Record<string, string> = {
    "content-type": "application/json",
    [Signature.headers.id]: event.id,
    [Signature.headers.type]: event.type,
    [Signature.headers.timestamp]: timestamp,
    [Signature.headers.signature]: Signature.sign(options.secret ?? secret, timestamp, text),
    ...options.headers
  }
  if (options.omit !== undefined) delete headers[options.omit]
  return Effect.promise(async () => {
    const response = await handler(new Request("http://receiver.test/hooks", { method: "POST", headers, body: text }))
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })
}

const receiver = (extra: Partial<WebhookHandler.Options<never>> = {}) => {
  const seen: Array<WebhookEvent> = []
  const handler = WebhookHandler.toWebHandler({
    secret: Redacted.make(secret),
    onJobCompleted: (e) => Effect.sync(() => seen.push(e)),
    ...extra
  })
  return { seen, handler }
}

describe("WebhookHandler", () => {
  it.effect("a signed event is decoded and dispatched by type, payload and result bytes untouched", () =>
    Effect.gen(function*() {
      const { seen, handler } = receiver()
      const answer = yield* deliver(handler)
      assert.deepStrictEqual(answer, { status: 200, body: { ok: true } })
      assert.strictEqual(seen.length, 1)
      const got = seen[0]!
      assert.strictEqual(got.id, event.id)
      assert.strictEqual(got.type, "job.completed")
      assert.strictEqual(got.jobId, "job-1")
      assert.strictEqual(got.job?.payload, payload)
      assert.strictEqual(got.result.result, `{"ok":98765432109876543210}`)
      assert.strictEqual(got.raw, body)
    }))

  it.effect("bad signatures, a tampered body, a wrong secret and missing headers are refused, the handler never runs", () =>
    Effect.gen(function*() {
      const { seen, handler } = receiver()
      const cases: ReadonlyArray<readonly [string, Parameters<typeof deliver>[1], number, string]> = [
        ["wrong secret", { secret: "other" }, 401, "BadSignature"],
        ["tampered body", { headers: { [Signature.headers.signature]: Signature.sign(secret, String(Math.floor(Date.now() / 1000)), body) }, body: body.replace("12345678901234567890", "12345678901234567891") }, 401, "BadSignature"],
        ["garbage signature", { headers: { [Signature.headers.signature]: "v1=zz" } }, 401, "BadSignature"],
        ["no signature", { omit: Signature.headers.signature }, 400, "MissingHeaders"],
        ["no timestamp", { omit: Signature.headers.timestamp }, 400, "MissingHeaders"],
        ["no event id", { omit: Signature.headers.id }, 400, "MissingHeaders"],
        ["id not the body's", { headers: { [Signature.headers.id]: "evt_other" } }, 400, "BadEvent"]
      ]
      for (const [label, options, status, reason] of cases) {
        const answer = yield* deliver(handler, options)
        assert.strictEqual(answer.status, status, label)
        assert.strictEqual(answer.body._tag, "WebhookError", label)
        assert.strictEqual(answer.body.reason, reason, label)
      }
      const notAnEvent = `{"hello":"world"}`
      const junk = yield* deliver(handler, { body: notAnEvent })
      assert.deepStrictEqual([junk.status, junk.body.reason], [400, "BadEvent"])
      assert.strictEqual(seen.length, 0)
    }))

  it.effect("timestamps outside the tolerance (past or future) are refused; inside it they pass", () =>
    Effect.gen(function*() {
      const { seen, handler } = receiver({ tolerance: "1 minute" })
      assert.strictEqual((yield* deliver(handler, { at: Date.now() - 2 * 60_000 })).body.reason, "StaleTimestamp")
      assert.strictEqual((yield* deliver(handler, { at: Date.now() + 2 * 60_000 })).body.reason, "StaleTimestamp")
      assert.strictEqual((yield* deliver(handler, { headers: { [Signature.headers.timestamp]: "yesterday" } })).body.reason, "StaleTimestamp")
      assert.strictEqual(seen.length, 0)
      assert.strictEqual((yield* deliver(handler, { at: Date.now() - 30_000 })).status, 200)
      assert.strictEqual(seen.length, 1)
    }))

  it.effect("an exact replay and a redelivery of a processed event are acknowledged without running again", () =>
    Effect.gen(function*() {
      const { seen, handler } = receiver()
      const at = Date.now()
      assert.strictEqual((yield* deliver(handler, { at })).status, 200)
      const replay = yield* deliver(handler, { at })
      assert.deepStrictEqual(replay, { status: 200, body: { ok: true, duplicate: true } })
      // The gateway's next attempt is signed anew (another timestamp).
      const redelivery = yield* deliver(handler, { at: at + 2000 })
      assert.deepStrictEqual(redelivery, { status: 200, body: { ok: true, duplicate: true } })
      assert.strictEqual(seen.length, 1)
    }))

  it.effect("a failing handler answers 500, and the next delivery runs it again", () =>
    Effect.gen(function*() {
      let runs = 0
      const handler = WebhookHandler.toWebHandler({
        secret,
        onJobCompleted: () => (++runs === 1 ? Effect.fail("database down") : Effect.void)
      })
      const first = yield* deliver(handler, { at: Date.now() })
      assert.strictEqual(first.status, 500)
      assert.strictEqual(first.body._tag, "WebhookHandlerError")
      assert.strictEqual((yield* deliver(handler, { at: Date.now() + 1000 })).status, 200)
      assert.strictEqual(runs, 2)
    }))

  it.effect("toWebHandler: headers are checked before the body is read, and a body past maxBodyBytes is a 413", () =>
    Effect.gen(function*() {
      const { seen, handler } = receiver({ maxBodyBytes: 1024 })
      /** A 64 MiB body served chunk by chunk, counting what the receiver pulled. */
      const big = () => {
        let pulled = 0
        const stream = new ReadableStream<Uint8Array>({
          pull: (controller) => {
            pulled += 64 * 1024
            if (pulled > 64 * 1024 * 1024) controller.close()
            else controller.enqueue(new Uint8Array(64 * 1024))
          }
        })
        return { stream, pulled: () => pulled }
      }
      const send = (headers: Record<string, string>, stream: ReadableStream<Uint8Array>) =>
        Effect.promise(async () => {
          const response = await handler(new Request("http://receiver.test/hooks", { method: "POST", headers, body: stream, duplex: "half" } as RequestInit))
          return { status: response.status, body: (await response.json()) as Record<string, unknown> }
        })
      const t = String(Math.floor(Date.now() / 1000))
      const unsigned = big()
      const refused = yield* send({ [Signature.headers.id]: event.id, [Signature.headers.timestamp]: t }, unsigned.stream)
      assert.deepStrictEqual([refused.status, refused.body.reason], [400, "MissingHeaders"])
      assert.isBelow(unsigned.pulled(), 64 * 1024 * 4, "the body was not read")
      const badFormat = yield* send({ [Signature.headers.id]: event.id, [Signature.headers.timestamp]: t, [Signature.headers.signature]: "sha256=x" }, big().stream)
      assert.deepStrictEqual([badFormat.status, badFormat.body.reason], [401, "BadSignature"])
      const signedBig = big()
      const tooLarge = yield* send({ [Signature.headers.id]: event.id, [Signature.headers.timestamp]: t, [Signature.headers.signature]: Signature.sign(secret, t, "x") }, signedBig.stream)
      assert.deepStrictEqual([tooLarge.status, tooLarge.body.reason], [413, "TooLarge"])
      assert.isBelow(signedBig.pulled(), 64 * 1024 * 4, "reading stopped at the limit")
      assert.strictEqual(seen.length, 0)
      // Under the limit, a signed event still passes.
      assert.strictEqual((yield* deliver(WebhookHandler.toWebHandler({ secret, maxBodyBytes: body.length }))).status, 200)
    }))

  it.effect("secrets rotate: any configured secret verifies; a type without a handler is acknowledged", () =>
    Effect.gen(function*() {
      const handler = WebhookHandler.toWebHandler({ secret: ["new-secret", Redacted.make(secret)] })
      assert.deepStrictEqual(yield* deliver(handler), { status: 200, body: { ok: true } })
      const header = `${Signature.sign("new-secret", "1", "x")} ${Signature.sign(secret, "1", "x")}`
      assert.isTrue(Signature.verify([secret], "1", "x", header), "one of several signatures")
      assert.isFalse(Signature.verify(["nope"], "1", "x", header))
    }))
})
