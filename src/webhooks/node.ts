/**
 * The webhook receiver as a standalone Node server
 * (`@bananas/effect/webhooks/node`, needs `@effect/platform-node`).
 *
 * @module @bananas/effect/webhooks/node
 * @since 0.2.0
 */

/** A server of its own receiving the gateway's job events. */
export * as Standalone from "./Standalone.ts"
