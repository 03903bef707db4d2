/**
 * The `--version` line, from the package version (`src/domain/Version.ts`).
 * Imports nothing but Node, so `main.ts` can answer `--version` before
 * loading the command tree.
 *
 * @since 0.2.0
 */

import * as PackageVersion from "../domain/Version.ts"

/**
 * The version of `package.json`.
 *
 * @category constants
 * @since 0.2.0
 */
export const version: string = PackageVersion.version

/**
 * The `--version` line: `bananas 1.2.3`.
 *
 * @category formatting
 * @since 0.2.0
 */
export const line = (name: string, v: string = version): string => `${name} ${v}`
