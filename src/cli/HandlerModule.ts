/**
 * Loads the handlers module of `bananas worker --handlers MODULE`: an ES
 * module (`.js`, or `.ts` on Node 24 outside node_modules) that exports
 * its `Handlers` as `handlers` or as its default export, and optionally a
 * `layer` that provides what those handlers need.
 *
 * @example
 * ```ts
 * // handlers.ts
 * export const handlers = Handlers.empty.pipe(
 *   Handlers.add(Greet, ({ name }) => Effect.succeed({ greeting: `Hello, ${name}!` }))
 * )
 * ```
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import * as Handlers from "../worker/HandlerRegistry.ts"
import { type CliFailure, usage } from "./Failures.ts"

/**
 * What a handlers module gives the worker.
 *
 * @category models
 * @since 0.2.0
 */
export interface Loaded {
  /** The handlers (what they need is only known at run time: the module's `layer`). */
  readonly handlers: Handlers.Handlers<never>
  /** What they need, when the module exports a `layer`. */
  readonly layer: Layer.Layer<never, unknown> | undefined
}

/**
 * Imports the module (relative to the current directory) and checks what
 * it exports.
 *
 * @category loading
 * @since 0.2.0
 */
export const load = (module: string): Effect.Effect<Loaded, CliFailure> =>
  Effect.gen(function*() {
    const url = pathToFileURL(Path.resolve(module)).href
    const exports = yield* Effect.tryPromise({
      try: () => import(url) as Promise<Record<string, unknown>>,
      catch: (e) => usage(`cannot load the handlers module ${module}: ${e instanceof Error ? e.message : String(e)}`)
    })
    const handlers = [exports.handlers, exports.default].find(Handlers.isHandlers)
    if (handlers === undefined) {
      return yield* usage(
        `${module} exports no handlers: export them as \`handlers\` (or default), e.g. export const handlers = Handlers.empty.pipe(Handlers.add(...))`
      )
    }
    const layer = exports.layer
    if (layer !== undefined && !Layer.isLayer(layer)) return yield* usage(`${module} exports a \`layer\` that is not a Layer`)
    if (Handlers.names(handlers).length === 0) return yield* usage(`${module} exports handlers for no job name`)
    return { handlers: handlers as Handlers.Handlers<never>, layer: layer as Layer.Layer<never, unknown> | undefined }
  })
