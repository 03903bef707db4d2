/**
 * The receiver bounds what it reads: a real `Standalone` receiver process
 * gets 400 MB bodies streamed at it (chunked, no `Content-Length`) — one
 * with no signature headers, one with well-formed, freshly timestamped
 * headers whose signature cannot match — and one announcing 400 MB in
 * `Content-Length`. Each is answered (400 before reading the body; 413 past
 * the 4 MiB default limit) while the client is still sending, and the
 * process's resident memory grows by far less than the bodies.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { request } from "node:http"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Signature from "../../src/webhooks/Signature.ts"
import { freePort } from "../support/RedisServer.ts"

const root = fileURLToPath(new URL("../../", import.meta.url))
const secret = "whsec-limit"
const bodyBytes = 400 * 1024 * 1024
let child: ChildProcess
let port = 0

/** The receiver's resident set, in MB (Linux `/proc`). */
const rssMb = (): number => {
  const line = readFileSync(`/proc/${child.pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!
  return Number(/(\d+)/.exec(line)![1]) / 1024
}

/**
 * Streams up to `bodyBytes` of JSON-ish filler in 1 MiB chunks, stopping as
 * soon as the answer arrives; resolves with its status and the bytes sent.
 */
const stream = (headers: Record<string, string>): Promise<{ status: number; sent: number }> =>
  new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61)
    let sent = 0
    let answered = false
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", headers: { "content-type": "application/json", ...headers } })
    req.on("response", (response) => {
      answered = true
      response.resume()
      response.on("end", () => {
        req.destroy()
        resolve({ status: response.statusCode ?? 0, sent })
      })
    })
    req.on("error", (e) => (answered ? undefined : reject(e)))
    const pump = () => {
      while (!answered && sent < bodyBytes) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once("drain", pump)
      }
      if (!answered) req.end()
    }
    pump()
  })

const signedHeaders = (): Record<string, string> => {
  const t = String(Math.floor(Date.now() / 1000))
  return {
    [Signature.headers.id]: "evt_big",
    [Signature.headers.timestamp]: t,
    [Signature.headers.signature]: `v1=${"ab".repeat(32)}`
  }
}

describe("receiver body limit", () => {
  beforeAll(async () => {
    port = await freePort()
    child = spawn(process.execPath, ["test/webhooks/fixtures/receiver.ts"], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PORT: String(port), SECRET: secret } })
    await new Promise<void>((resolve, reject) => {
      let output = ""
      const timer = setTimeout(() => reject(new Error(`receiver did not start:\n${output}`)), 20_000)
      const onData = (d: Buffer) => {
        output += d.toString()
        if (output.includes("listening")) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout!.on("data", onData)
      child.stderr!.on("data", onData)
    })
  }, 30_000)

  afterAll(() => {
    child.kill("SIGKILL")
  })

  it("400 MB bodies are refused unread (400) or cut at the limit (413); the receiver's memory stays flat", async () => {
    const before = rssMb()
    const unsigned = await stream({})
    const signed = await stream(signedHeaders())
    const announced = await stream({ ...signedHeaders(), "content-length": String(bodyBytes) })
    const after = rssMb()
    // The figure for RELIABILITY.md.
    process.stdout.write(`receiver RSS ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB; sent ${unsigned.sent}/${signed.sent}/${announced.sent} bytes\n`)
    assert.strictEqual(unsigned.status, 400)
    assert.strictEqual(signed.status, 413)
    assert.strictEqual(announced.status, 413)
    assert.isBelow(after - before, 64, "resident memory grew by less than 64 MB")
  }, 120_000)
})
