/**
 * The package version, read from `package.json` (the one place it is
 * written): `bananas --version` prints it. Imports nothing but Node, so
 * `main.ts` can answer `--version` before loading the command tree.
 *
 * @since 0.2.0
 */

import { createRequire } from "node:module"

/**
 * The version of `package.json`.
 *
 * @category constants
 * @since 0.2.0
 */
export const version: string = (createRequire(import.meta.url)("../../package.json") as { readonly version: string }).version

/**
 * The `--version` line: `bananas 1.2.3`.
 *
 * @category formatting
 * @since 0.2.0
 */
export const line = (name: string, v: string = version): string => `${name} ${v}`
