/**
 * Route-Go's routing keys: which are valid, and which mean "no routing".
 * A job's routing key picks the queue it waits in (`Keys.queue`).
 *
 * @since 0.2.0
 */

/**
 * Routing keys accepted by Route-Go: `[A-Za-z0-9_-]{1,64}`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isRoutingKey = (key: string): boolean => /^[A-Za-z0-9_-]{1,64}$/.test(key)

/**
 * True when routing key `key` means "no routing": absent, empty or
 * `default` (all read `queue:{p}`).
 *
 * @category guards
 * @since 0.1.0
 */
export const isUnrouted = (key: string | undefined): boolean => key === undefined || key === "" || key === "default"

/**
 * What is wrong with a routing key that is not `isRoutingKey` (the one text
 * of this refusal, wherever a routing key is taken).
 *
 * @category errors
 * @since 0.2.0
 */
export const invalidMessage = (key: unknown): string => `routing key must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(key)}`
