/**
 * The webhook receiver as a server of its own, on Node
 * (`@effect/platform-node`): for a service that has no HTTP app to mount
 * it into.
 *
 * @example
 * ```ts
 * const receiver = Standalone.layer({ port: 9000, secret, onJobDead: (e) => Effect.logError(e.result.error) })
 * NodeRuntime.runMain(Layer.launch(receiver))
 * ```
 *
 * @since 0.2.0
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import * as Layer from "effect/Layer"
import { HttpRouter } from "effect/http"
import * as WebhookHandler from "./WebhookHandler.ts"

/**
 * Options of a standalone receiver.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options<R> extends WebhookHandler.Options<R> {
  /** Port (default 9000; 0 picks a free one). */
  readonly port?: number | undefined
  /** Address (default `0.0.0.0`). */
  readonly host?: string | undefined
  /** The path events are POSTed to (default `/`). */
  readonly path?: `/${string}` | undefined
}

/**
 * A server receiving events on `POST <path>`.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = <R = never>(options: Options<R>) =>
  HttpRouter.serve(WebhookHandler.route(options.path ?? "/", options), { disableListenLog: true, disableLogger: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port ?? 9000, host: options.host ?? "0.0.0.0" }))
  )
