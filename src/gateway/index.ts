/**
 * The HTTP Task API server (`@bananas/effect/gateway`, on
 * `@effect/platform-node`): the gateway and its options (API keys,
 * webhook delivery). Start it with `node <package>/src/gateway/main.ts` or compose
 * `Gateway.layerRedis` in your own program.
 *
 * @module @bananas/effect/gateway
 * @since 0.2.0
 */

/** The gateway: routes, the Node server, the Redis-backed and env-configured layers. */
export * as Gateway from "./Gateway.ts"
/** Its options and their environment variables. */
export * as GatewayOptions from "./GatewayOptions.ts"
/** An API key: its id (for logs and rate limits) and secret. */
export type { ApiKey } from "./ApiKeys.ts"
/** A webhook endpoint: its URL, secret and the events it receives. */
export type { Endpoint as WebhookEndpoint } from "./Webhooks.ts"
/** Webhook delivery's options: the endpoints, retries, the delivery log. */
export type { Options as WebhookOptions } from "./Webhooks.ts"
/** What the gateway knows of the request it serves (the API key's id), for its access log and middleware. */
export type { RequestInfo } from "./Middleware.ts"
