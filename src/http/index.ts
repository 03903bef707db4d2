/**
 * The HTTP Task API contract (`@bananas/effect/http`): the one `HttpApi`
 * the gateway serves and the HTTP TaskApi calls, its wire schemas, and the
 * HTTP TaskApi itself (with `Schedules` over the same gateway). No platform package
 * needed (the client runs on `fetch`).
 *
 * @module @bananas/effect/http
 * @since 0.2.0
 */

/** The HttpApi contract: endpoints, typed errors with statuses, middleware declarations. */
export * as Api from "./Api.ts"
/** The wire schemas of bodies and parameters. */
export * as Schemas from "./Schemas.ts"
/** The TaskApi and Schedules over HTTP. */
export * as HttpTaskApi from "./HttpTaskApi.ts"
