/**
 * The OpenAPI document the gateway serves is derived from the contract and
 * valid OpenAPI 3.1 (checked by a validator); it documents every route,
 * the bearer scheme, and the error statuses; the interactive docs page
 * renders (an HTML page loading the document).
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { OpenApi } from "effect/http-api"
import { Validator } from "@seriousme/openapi-schema-validator"
import * as Gateway from "../../src/gateway/Gateway.ts"
import { Api } from "../../src/http/Api.ts"
import * as Layer from "effect/Layer"
import * as BananasMemory from "../../src/layers/memory/BananasMemory.ts"
import * as DirectTaskApi from "../../src/layers/DirectTaskApi.ts"
import { gatewayOptions } from "./Fixtures.ts"

const served = Gateway.layer(gatewayOptions()).pipe(Layer.provide(DirectTaskApi.layer), Layer.provide(BananasMemory.layer()), Layer.orDie)

const get = (path: string) =>
  Effect.flatMap(Gateway.localUrl, (base) =>
    Effect.promise(async () => {
      const response = await fetch(`${base}${path}`)
      return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() }
    }))

layer(served, { timeout: 30_000, excludeTestServices: true })("OpenAPI and docs", (it) => {
  it.effect("GET /openapi.json is the contract's document and validates as OpenAPI 3.1", () =>
    Effect.gen(function*() {
      const answer = yield* get("/openapi.json")
      assert.strictEqual(answer.status, 200)
      const spec = JSON.parse(answer.text) as {
        openapi: string
        paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>>
        components: { securitySchemes: Record<string, unknown> }
      }
      assert.deepStrictEqual(spec, JSON.parse(JSON.stringify(OpenApi.fromApi(Api))), "served = derived from the contract")
      assert.strictEqual(spec.openapi, "3.1.0")
      const validator = new Validator()
      const result = yield* Effect.promise(() => validator.validate(spec as never))
      assert.isTrue(result.valid, String(JSON.stringify(result.errors)).slice(0, 2000))
      assert.strictEqual(validator.version, "3.1")

      for (const path of ["/v1/jobs", "/v1/jobs/batch", "/v1/jobs/call", "/v1/jobs/{id}", "/v1/jobs/{id}/result", "/v1/stats", "/v1/dead", "/v1/dead/{id}/requeue", "/v1/queues/{priority}/pause", "/v1/queues/{priority}/resume", "/v1/queues/paused", "/healthz", "/readyz"]) {
        assert.property(spec.paths, path)
      }
      assert.property(spec.components.securitySchemes, "bearer")
      const submit = spec.paths["/v1/jobs"]!.post!
      for (const status of ["200", "201", "400", "401", "409", "413", "415", "429", "503", "504"]) assert.property(submit.responses, status)
      assert.property(spec.paths["/v1/jobs/call"]!.post!.responses, "422")
      assert.property(spec.paths["/v1/jobs/{id}"]!.delete!.responses, "404")
      assert.deepStrictEqual(spec.paths["/healthz"]!.get!.security, [], "probes need no key")
    }))

  it.effect("a broken document fails the same validator (the check can fail)", () =>
    Effect.gen(function*() {
      const spec = JSON.parse(JSON.stringify(OpenApi.fromApi(Api))) as { info: Record<string, unknown> }
      delete spec.info.version
      const result = yield* Effect.promise(() => new Validator().validate(spec as never))
      assert.isFalse(result.valid)
    }))

  it.effect("GET /docs renders the interactive reference of the API", () =>
    Effect.gen(function*() {
      const answer = yield* get("/docs")
      assert.strictEqual(answer.status, 200)
      assert.include(answer.type, "text/html")
      assert.include(answer.text, "<title>Bananas Task API</title>")
      assert.include(answer.text, "Scalar")
      assert.include(answer.text, "/v1/jobs/call", "the page embeds the document")
    }))
})
