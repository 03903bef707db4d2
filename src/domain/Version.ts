/**
 * The package version, read from `package.json`, the one place it is
 * written: the OpenAPI document, its `/docs` page and `bananas --version`
 * all show this (`test/package/version.test.ts` compares them, and the
 * CHANGELOG's top entry, with it). Imports nothing but Node.
 *
 * @since 0.2.0
 */

import { createRequire } from "node:module"

/**
 * The version of `package.json` (`src/domain/` and `dist/domain/` both sit two levels below it).
 *
 * @category constants
 * @since 0.2.0
 */
export const version: string = (createRequire(import.meta.url)("../../package.json") as { readonly version: string }).version
