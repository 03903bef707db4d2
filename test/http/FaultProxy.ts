/**
 * Test fixture: an HTTP proxy in front of the gateway that injects the
 * faults a client meets on a real network, one planned fault per request:
 * `lose` (the request reaches the gateway and runs, then the connection is
 * destroyed before the answer: a lost response), `502` / `503` (a load
 * balancer's HTML error page, the gateway never reached), `pass` (the
 * default: forwarded as is).
 */
import { createServer, type IncomingMessage } from "node:http"

export type Fault = "lose" | "502" | "503" | "pass"

export interface FaultProxy {
  readonly url: string
  /** Plans the faults of the next requests, in order. */
  readonly plan: (...faults: ReadonlyArray<Fault>) => void
  /** Requests received so far. */
  readonly requests: () => number
  readonly close: () => Promise<void>
}

const readAll = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

export const startFaultProxy = (target: string): Promise<FaultProxy> => {
  const planned: Array<Fault> = []
  let requests = 0
  const server = createServer(async (req, res) => {
    requests++
    const fault = planned.shift() ?? "pass"
    const body = await readAll(req)
    if (fault === "502" || fault === "503") {
      res.writeHead(Number(fault), { "content-type": "text/html" })
      res.end(`<html><body>${fault} from the load balancer</body></html>`)
      return
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && !["host", "connection", "content-length", "transfer-encoding"].includes(k)) headers[k] = v
    }
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method!,
      headers,
      ...(req.method === "GET" || req.method === "HEAD" || body.length === 0 ? {} : { body })
    })
    const text = Buffer.from(await upstream.arrayBuffer())
    if (fault === "lose") {
      req.socket.destroy()
      return
    }
    const out: Record<string, string> = {}
    upstream.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") out[k] = v
    })
    res.writeHead(upstream.status, out)
    res.end(text)
  })
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}`,
        plan: (...faults) => void planned.push(...faults),
        requests: () => requests,
        close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()) })
      })
    }))
}
