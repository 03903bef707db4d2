/**
 * Receiving the gateway's webhooks (`@bananas/effect/webhooks`): the
 * signature scheme, the typed events, and `WebhookHandler` to mount into an
 * `HttpRouter` app, an `HttpApi` (`WebhookApi`) or any fetch-style runtime.
 * Needs no platform package (the standalone Node server is
 * `@bananas/effect/webhooks/node`).
 *
 * @module @bananas/effect/webhooks
 * @since 0.2.0
 */

/** The signature scheme (HMAC-SHA256 over `timestamp.body`), headers, sign and verify. */
export * as Signature from "./Signature.ts"
/** The typed job events. */
export * as WebhookEvent from "./WebhookEvent.ts"
/** The receiver: verification, tolerance, replay rejection, dispatch; router and web adapters. */
export * as WebhookHandler from "./WebhookHandler.ts"
/** The receiver as a group of your own HttpApi. */
export * as WebhookApi from "./WebhookApi.ts"
/** What a receiver remembers against replays. */
export * as ReplayStore from "./ReplayStore.ts"
