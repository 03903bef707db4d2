/**
 * The webhook receiver as a group of your own `HttpApi`: add `WebhookGroup`
 * to the API (prefix it as you like) and provide `layerGroup` with the
 * receiver's options. The body is taken as raw bytes (the signature covers
 * exactly them), read only after the headers pass and only up to the
 * receiver's `maxBodyBytes`; the group is left out of the OpenAPI document.
 *
 * @example
 * ```ts
 * class MyApi extends HttpApi.make("my-app").add(Users).add(WebhookApi.WebhookGroup) {}
 * const Hooks = WebhookApi.layerGroup(MyApi, { secret, onJobCompleted: (e) => Effect.log(e.jobId) })
 * const Live = HttpApiBuilder.layer(MyApi).pipe(Layer.provide([UsersLive, Hooks]))
 * ```
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { HttpApi, HttpApiGroup as Group } from "effect/http-api"
import { HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as WebhookHandler from "./WebhookHandler.ts"

/**
 * `POST /webhooks/bananas`: receives the gateway's job events.
 *
 * @category groups
 * @since 0.2.0
 */
export class WebhookGroup extends HttpApiGroup.make("bananasWebhooks").add(
  HttpApiEndpoint.post("receive", "/webhooks/bananas", {
    payload: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/json" })),
    success: Schema.Struct({ ok: Schema.Boolean, duplicate: Schema.optional(Schema.Boolean) })
  })
).annotate(OpenApi.Exclude, true) {}

/**
 * The handlers of `WebhookGroup` in `api`.
 *
 * @category layers
 * @since 0.2.0
 */
export const layerGroup = <Id extends string, Groups extends Group.Constraint, R = never>(
  api: HttpApi.HttpApi<Id, Groups | typeof WebhookGroup>,
  options: WebhookHandler.Options<R>
) => {
  // Only the webhook group is handled here: seen through an API of that group alone.
  const own = api as unknown as HttpApi.HttpApi<Id, typeof WebhookGroup>
  return Layer.unwrap(Effect.map(Effect.fromResult(WebhookHandler.make(options)), (handler) =>
    HttpApiBuilder.group(own, "bananasWebhooks", (handlers) =>
      handlers.handleRaw("receive", ({ request }) =>
        Effect.map(handler.handleRequest(request.headers, (max) => WebhookHandler.readBody(request, max)), WebhookHandler.toResponse)))))
}
