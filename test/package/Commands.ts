/**
 * Running npm and node from the package tests: a command's exit code and
 * output, without the `npm_*` variables of the surrounding `npm test` (they
 * would redirect npm).
 */
import { execFile } from "node:child_process"

/** What a command did. */
export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `file args` in `cwd`, with `env` over this process's environment (less `npm_*`). */
export const run = (
  file: string,
  args: ReadonlyArray<string>,
  cwd: string,
  options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {}
): Promise<Run> =>
  new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) if (!key.toLowerCase().startsWith("npm_")) env[key] = value
    Object.assign(env, options.env)
    execFile(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 200_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resolve({ code, stdout, stderr })
    })
  })

/** A run's exit code and output, for an assertion's message. */
export const show = (r: Run): string => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
