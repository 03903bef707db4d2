/**
 * The HTTP Task API server (`@bananas/effect/gateway`, on
 * `@effect/platform-node`): the gateway, its options, API keys and webhook
 * delivery. Start it with `node <package>/src/gateway/main.ts` or compose
 * `Gateway.layerRedis` in your own program.
 *
 * @since 0.2.0
 */

/** The gateway: routes, the Node server, the Redis-backed and env-configured layers. */
export * as Gateway from "./Gateway.ts"
/** Its options and their environment variables. */
export * as GatewayOptions from "./GatewayOptions.ts"
/** API keys: parsing and constant-time matching. */
export * as ApiKeys from "./ApiKeys.ts"
/** Webhook delivery: endpoints, the delivery worker. */
export * as Webhooks from "./Webhooks.ts"
/** The bounded webhook delivery log. */
export * as DeliveryLog from "./DeliveryLog.ts"
/** Access log, request metrics, `/metrics`. */
export * as Observability from "./Observability.ts"
