/**
 * The gateway under hostile input, served for real (`Gateway.layer` on an
 * ephemeral loopback port over a private redis-server, or a memory
 * backend) and spoken to over raw HTTP:
 *
 * - the docs are cached assets: a small page and Scalar's script apart,
 *   compressed when accepted, `304` on a matching `If-None-Match`; behind
 *   a key or off by option;
 * - a body's work is bounded before it is parsed (keys per object, tokens);
 * - failed authentications are limited per client address (429, Retry-After);
 * - `/metrics` needs a key (an API key or the scrape key); error bodies
 *   carry no Redis address, driver message or script SHA;
 * - a body that is not UTF-8 is refused (415 for another charset, 400 for
 *   invalid bytes), nothing stored;
 * - a forged list cursor is a 400 `ValidationError` on Redis and memory alike.
 */
import { request as httpRequest } from "node:http"
import { brotliDecompressSync } from "node:zlib"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AuthFailures from "../../src/gateway/AuthFailures.ts"
import * as Gateway from "../../src/gateway/Gateway.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as BananasRedis from "../../src/layers/redis/BananasRedis.ts"
import { RedisServer, uniquePrefix } from "../support/RedisServer.ts"
import { startTcpProxy } from "../support/TcpProxy.ts"
import { apiKey, gatewayOptions } from "../http/Fixtures.ts"

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly bytes: Buffer
  readonly text: string
}

/** One request over node:http (no automatic decompression), from `localAddress` when given. */
const send = (
  url: string,
  options: { readonly method?: string; readonly headers?: Record<string, string>; readonly body?: string | Buffer; readonly localAddress?: string } = {}
) =>
  Effect.promise(() =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers, localAddress: options.localAddress }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => {
          const bytes = Buffer.concat(chunks)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text: bytes.toString("utf8") })
        })
        res.on("error", reject)
      })
      req.on("error", reject)
      req.end(options.body)
    })
  )

const auth = (key = apiKey) => ({ authorization: `Bearer ${key}` })
const json = { "content-type": "application/json" }

/** A gateway on the file's Redis (or at `url`) under a fresh prefix; its base URL and prefix. */
const onRedis = (overrides: Partial<Gateway.Options> = {}, url?: string) =>
  Effect.gen(function*() {
    const server = yield* RedisServer
    const prefix = uniquePrefix("hostile")
    const context = yield* Layer.build(Gateway.layer(gatewayOptions(overrides)).pipe(
      Layer.provide(DirectTaskApi.layer),
      Layer.provide(BananasRedis.layer({ url: url ?? server.url, prefix })),
      Layer.orDie
    ))
    return { base: yield* Effect.provide(Gateway.localUrl, context), prefix, raw: server.raw }
  })

/** A gateway on a fresh memory backend; its base URL. */
const onMemory = (overrides: Partial<Gateway.Options> = {}) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Gateway.layer(gatewayOptions(overrides)).pipe(
      Layer.provide(DirectTaskApi.layer),
      Layer.provide(BananasMemory.layer()),
      Layer.orDie
    ))
    return yield* Effect.provide(Gateway.localUrl, context)
  })

const tagOf = (answer: Answer): string => (JSON.parse(answer.text) as { _tag: string })._tag

layer(RedisServer.layer, { timeout: 60_000, excludeTestServices: true })("the gateway under hostile input", (it) => {
  it.effect("docs: a small page, Scalar's script apart; compressed when accepted, 304 on a matching If-None-Match, cacheable; behind a key or off by option", () =>
    Effect.gen(function*() {
      const base = yield* onMemory()
      const plain = yield* send(`${base}/docs`)
      assert.strictEqual(plain.status, 200)
      assert.include(plain.text, "api-reference")
      assert.include(plain.text, "/v1/jobs/call", "the page embeds the document")
      assert.isBelow(plain.bytes.length, 200_000, "the page is small")
      const src = /<script src="(\/docs\/scalar\.js\?v=[\w-]+)"><\/script>/.exec(plain.text)?.[1]
      assert.isString(src, "the page loads Scalar's script from the gateway")
      const script = yield* send(`${base}${src}`, { headers: { "accept-encoding": "gzip, deflate, br" } })
      assert.strictEqual(script.status, 200)
      assert.strictEqual(script.headers["content-encoding"], "br")
      assert.include(String(script.headers["cache-control"]), "immutable")
      const uncompressed = brotliDecompressSync(script.bytes)
      assert.isAbove(uncompressed.length, 1_000_000, "Scalar's bundle")
      assert.isBelow(script.bytes.length, uncompressed.length / 3, `${script.bytes.length} compressed vs ${uncompressed.length}`)
      const br = yield* send(`${base}/docs`, { headers: { "accept-encoding": "gzip, deflate, br" } })
      assert.strictEqual(br.headers["content-encoding"], "br")
      assert.strictEqual(brotliDecompressSync(br.bytes).toString("utf8"), plain.text, "the same page")
      const etag = br.headers["etag"]
      assert.isString(etag)
      assert.match(String(br.headers["cache-control"]), /max-age=\d+/)
      const again = yield* send(`${base}/docs`, { headers: { "if-none-match": String(etag), "accept-encoding": "br" } })
      assert.strictEqual(again.status, 304)
      assert.strictEqual(again.bytes.length, 0)
      const spec = yield* send(`${base}/openapi.json`, { headers: { "accept-encoding": "gzip" } })
      assert.strictEqual(spec.headers["content-encoding"], "gzip")

      const authenticated = yield* onMemory({ docs: "authenticated" })
      assert.strictEqual((yield* send(`${authenticated}/docs`)).status, 401)
      assert.strictEqual((yield* send(`${authenticated}/openapi.json`)).status, 401)
      assert.strictEqual((yield* send(`${authenticated}/docs`, { headers: auth() })).status, 200)
      assert.strictEqual((yield* send(`${authenticated}/docs/scalar.js`)).status, 200, "Scalar's script says nothing about the API")
      const off = yield* onMemory({ docs: "off" })
      assert.strictEqual((yield* send(`${off}/docs`)).status, 404)
      assert.strictEqual((yield* send(`${off}/openapi.json`)).status, 404)
    }).pipe(Effect.scoped))

  it.effect("body work is bounded before parsing: too many keys in one object, too many tokens: 400 naming the limit; nothing stored", () =>
    Effect.gen(function*() {
      const { base, prefix, raw } = yield* onRedis()
      const members = Array.from({ length: 90_000 }, (_, i) => `"k${i}":1`).join(",")
      const wide = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), ...json }, body: `{"name":"wide","payload":{${members}}}` })
      assert.strictEqual(wide.status, 400, wide.text.slice(0, 300))
      assert.strictEqual(tagOf(wide), "ValidationError")
      assert.include(wide.text, "maxObjectKeys")
      const envelope = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), ...json }, body: `{"name":"wide","payload":{},${members}}` })
      assert.strictEqual(envelope.status, 400)
      assert.include(envelope.text, "maxObjectKeys")
      assert.isBelow(envelope.bytes.length, 2000, "a short answer, not one issue per key")
      const many = Array.from({ length: 150_000 }, () => "1").join(",")
      const long = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), ...json }, body: `{"name":"long","payload":[${many}]}` })
      assert.strictEqual(long.status, 400)
      assert.include(long.text, "maxBodyTokens")
      assert.strictEqual(yield* Effect.promise(() => raw.llen(`${prefix}queue:normal`)), 0, "nothing stored")
      const fine = Array.from({ length: 500 }, (_, i) => `"k${i}":1`).join(",")
      const ok = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), ...json }, body: `{"name":"fine","payload":{${fine}}}` })
      assert.strictEqual(ok.status, 201, ok.text)
    }).pipe(Effect.scoped))

  it.effect("failed authentications are limited per address: 429 with Retry-After, even for the right key; other addresses unaffected", () =>
    Effect.gen(function*() {
      const { base } = yield* onRedis({ authFailureLimit: 5 })
      const statuses: Array<number> = []
      for (let i = 0; i < 8; i++) statuses.push((yield* send(`${base}/v1/stats`, { headers: auth("wrong-key") })).status)
      assert.deepStrictEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429])
      const blocked = yield* send(`${base}/v1/stats`, { headers: auth() })
      assert.strictEqual(blocked.status, 429, "a guesser cannot go on with the right key either")
      assert.strictEqual(tagOf(blocked), "RateLimitError")
      const retryAfter = Number(blocked.headers["retry-after"])
      assert.isTrue(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${blocked.headers["retry-after"]}`)
      assert.strictEqual((yield* send(`${base}/metrics`)).status, 429, "every keyed route counts")
      const elsewhere = yield* send(`${base}/v1/stats`, { headers: auth(), localAddress: "127.0.0.2" })
      assert.strictEqual(elsewhere.status, 200, "another address has its own count")
    }).pipe(Effect.scoped))

  it.effect("/metrics needs an API key or the scrape key (which opens nothing else)", () =>
    Effect.gen(function*() {
      const { base } = yield* onRedis({ metricsKey: "scrape-key" })
      const open = yield* send(`${base}/metrics`)
      assert.strictEqual(open.status, 401)
      assert.notInclude(open.text, "bananas_queue_depth")
      const withKey = yield* send(`${base}/metrics`, { headers: auth() })
      assert.strictEqual(withKey.status, 200)
      assert.include(withKey.text, "bananas_queue_depth")
      assert.strictEqual((yield* send(`${base}/metrics`, { headers: auth("scrape-key") })).status, 200)
      assert.strictEqual((yield* send(`${base}/v1/stats`, { headers: auth("scrape-key") })).status, 401)
    }).pipe(Effect.scoped))

  it.effect("error bodies say what failed without the Redis address, the driver's message or a script SHA", () =>
    Effect.gen(function*() {
      const { base, prefix, raw } = yield* onRedis()
      // A wrong-typed queue key: the submit script fails inside Redis.
      yield* Effect.promise(() => raw.set(`${prefix}queue:normal`, "not a list"))
      const failed = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), ...json }, body: `{"name":"x"}` })
      assert.strictEqual(failed.status, 503, failed.text)
      assert.strictEqual(tagOf(failed), "StorageError")
      const body = JSON.parse(failed.text) as { message: string; reason: string; key?: string }
      assert.strictEqual(body.reason, "WrongType")
      assert.include(body.message, "enqueue")
      for (const leak of [/[0-9a-f]{40}/, /127\.0\.0\.1/, /user_script/, /WRONGTYPE/, new RegExp(prefix)]) assert.notMatch(failed.text, leak)
      yield* Effect.promise(() => raw.del(`${prefix}queue:normal`))
    }).pipe(Effect.scoped))

  it.effect("/readyz while Redis refuses connections: 503 without its address or the driver's message", () =>
    Effect.gen(function*() {
      const server = yield* RedisServer
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ targetPort: server.port })), (p) => Effect.promise(p.close))
      const { base } = yield* onRedis({}, proxy.url)
      assert.strictEqual((yield* send(`${base}/readyz`)).status, 200)
      yield* Effect.promise(() => proxy.refuse(true))
      proxy.dropAll()
      const down = yield* send(`${base}/readyz`)
      assert.strictEqual(down.status, 503, down.text)
      for (const leak of [String(proxy.port), "127.0.0.1", "ECONNREFUSED", "ioredis"]) assert.notInclude(down.text, leak)
      yield* Effect.promise(() => proxy.refuse(false))
    }).pipe(Effect.scoped))

  it.effect("bodies that are not UTF-8: 415 for another charset, 400 for invalid bytes; nothing stored", () =>
    Effect.gen(function*() {
      const { base, prefix, raw } = yield* onRedis()
      const latin1 = Buffer.concat([Buffer.from(`{"name":"x","payload":"caf`), Buffer.from([0xe9]), Buffer.from(`"}`)])
      const declared = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), "content-type": "application/json; charset=latin1" }, body: latin1 })
      assert.strictEqual(declared.status, 415, declared.text)
      assert.include(declared.text, "latin1")
      const invalid = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), ...json }, body: latin1 })
      assert.strictEqual(invalid.status, 400, invalid.text)
      assert.strictEqual(tagOf(invalid), "ValidationError")
      assert.include(invalid.text, "UTF-8")
      assert.strictEqual(yield* Effect.promise(() => raw.llen(`${prefix}queue:normal`)), 0, "nothing stored")
      const utf8 = yield* send(`${base}/v1/jobs`, { method: "POST", headers: { ...auth(), "content-type": "application/json; charset=UTF-8" }, body: `{"name":"x","payload":"café"}` })
      assert.strictEqual(utf8.status, 201, utf8.text)
    }).pipe(Effect.scoped))

  it.effect("a forged list cursor is a 400 ValidationError on Redis and on memory", () =>
    Effect.gen(function*() {
      const { base } = yield* onRedis()
      const memory = yield* onMemory()
      // Not a SCAN cursor; over 64 bits; an id that is not text; more ids than one SCAN batch holds.
      const tooMany = ["0", ...Array.from({ length: 1001 }, (_, i) => `j${i}`)]
      for (const forged of [["abc"], ["99999999999999999999999"], ["0", 7], tooMany, { scan: "0" }]) {
        const cursor = Buffer.from(JSON.stringify(forged)).toString("base64url")
        for (const at of [base, memory]) {
          const answer = yield* send(`${at}/v1/jobs?cursor=${cursor}`, { headers: auth() })
          assert.strictEqual(answer.status, 400, `${at} ${JSON.stringify(forged)}: ${answer.text}`)
          assert.strictEqual(tagOf(answer), "ValidationError")
          assert.strictEqual((JSON.parse(answer.text) as { field: string }).field, "cursor")
        }
      }
    }).pipe(Effect.scoped))
})

describe("the failed-authentication table", () => {
  it("forgets the oldest address first when full (bounded memory), and an address once its window is over", () => {
    let now = 0
    const table = AuthFailures.make(2, { windowMillis: 1000, maxAddresses: 2, now: () => now })
    table.record("a")
    table.record("a")
    assert.strictEqual(table.blockedFor("a"), 1000)
    now = 400
    assert.strictEqual(table.blockedFor("a"), 600)
    table.record("b")
    table.record("c") // the table is full: "a", the oldest, gives way
    assert.strictEqual(table.blockedFor("a"), 0)
    table.record("c")
    assert.strictEqual(table.blockedFor("c"), 1000)
    now = 1400
    assert.strictEqual(table.blockedFor("c"), 0, "its window is over")
  })
})
