/**
 * The dashboard in a real browser, on one backend: log in, every view with
 * the seeded jobs, every action after its confirmation (checked through
 * `/v1`), payloads shown byte for byte, no request but to the gateway, no
 * CSP violation, no serious accessibility violation.
 */
import { execFile } from "node:child_process"
import { mkdirSync } from "node:fs"
import { promisify } from "node:util"
import { createServer, request as httpRequest, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import type { Browser, Page } from "playwright-core"
import * as Effect from "effect/Effect"
import { JobQueue } from "../../src/services/JobQueue.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import { takeJob } from "../contract/Fixtures.ts"
import { apiKey, exactPayload, getJson, launch, logIn, readOnlyKey, type Seeded, seed, seriousViolations, serve, type Served, submit, traceLink } from "./Harness.ts"
import { newJob } from "../worker/support/Backend.ts"

/**
 * Where the screenshots go: test-results/screenshots/ (not tracked), or the
 * README's docs/screenshots/ with `UPDATE_SCREENSHOTS=1` (ids and times
 * differ on every run, so tracked files change only when asked).
 */
const screenshotDir = new URL(process.env["UPDATE_SCREENSHOTS"] === "1" ? "../../docs/screenshots/" : "../../test-results/screenshots/", import.meta.url)

export const dashboardSuite = (backend: "memory" | "redis", options: { readonly screenshots: boolean }) =>
  describe(`the dashboard in Chromium, on ${backend}`, () => {
    let served: Served
    let seeded: Seeded
    let browser: Browser
    let page: Page
    const requests: Array<string> = []
    const cspViolations: Array<string> = []
    const pageErrors: Array<string> = []
    const shoot = async (name: string, target: Page = page) => {
      if (!options.screenshots) return
      await target.evaluate(() => (globalThis as any).document.getElementById("toast").replaceChildren())
      mkdirSync(screenshotDir, { recursive: true })
      await target.screenshot({ path: new URL(`${name}.png`, screenshotDir).pathname, fullPage: false })
    }
    const watch = (p: Page) => {
      // A step that hangs fails with Playwright's message (what it waited for), well before the test's timeout.
      p.setDefaultTimeout(8_000)
      p.on("request", (r) => requests.push(r.url()))
      p.on("console", (m) => { if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text()) })
      p.on("pageerror", (e) => pageErrors.push(e.message))
    }
    const ui = () => `${served.url}/ui`

    beforeAll(async () => {
      ;[served, browser] = await Promise.all([serve(backend), launch()])
      seeded = await seed(served)
      page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: "light" })
      watch(page)
    })
    afterAll(async () => {
      await browser?.close()
      await served?.dispose()
    })

    it("a wrong key is refused on the login form; the right one opens the overview; the key stays out of the URL", async () => {
      await page.goto(ui())
      assert.strictEqual(new URL(page.url()).pathname, "/ui/", "/ui redirects to /ui/ (relative links)")
      await page.getByRole("heading", { name: "Log in" }).waitFor()
      await shoot("login")
      await page.getByLabel("API key").fill("wrong-key")
      await page.getByRole("button", { name: "Log in" }).click()
      await page.getByText("The gateway refused the key").waitFor()
      await logIn(page, ui())
      assert.notInclude(page.url(), apiKey)
      assert.isFalse(requests.some((u) => u.includes(apiKey)), "no request URL carries the key")
      assert.strictEqual(await page.evaluate(() => sessionStorage.getItem("bananas.apiKey")), apiKey)
      assert.strictEqual(await page.evaluate(() => localStorage.length), 0, "nothing kept beyond the tab")
    })

    it("the overview shows the depth of each queue and the dead count", async () => {
      await page.goto(`${ui()}/#/overview`)
      const cards = page.locator(".cards")
      await cards.getByText("Queued").waitFor()
      const card = async (label: string) => (await cards.locator("a", { hasText: label }).locator(".value").textContent())?.trim()
      assert.deepStrictEqual(
        [await card("Queued"), await card("Scheduled"), await card("Processing"), await card("Dead")],
        ["5", "1", "1", "3"]
      )
      const rows = await page.locator(".chart .row").allTextContents()
      assert.deepStrictEqual(rows.map((r) => r.replace(/\s+/g, " ").trim()), [
        "queued · high1", "queued · normal3", "queued · low1", "scheduled1", "processing1", "dead3"
      ])
      const latency = await page.locator("#latency tbody tr").evaluateAll((rows) => rows.map((r) => [
        r.getAttribute("data-priority"), r.querySelector("a")?.textContent ?? "", r.querySelector("td.num")?.textContent ?? ""
      ]))
      assert.deepStrictEqual(latency.map(([p, id]) => [p, id]), [["high", seeded.pending[0]], ["normal", seeded.pending[1]], ["low", seeded.pending[4]]],
        "each queue's oldest waiting job: the tail of its list")
      for (const [, , age] of latency) assert.match(age!, /^\d+ (s|min \d+ s)$/)
      assert.strictEqual(await page.locator("#chart-processed svg").getAttribute("role"), "img", "throughput as an inline SVG chart")
      await page.locator("#chart-failures svg").waitFor()
      if (backend === "redis") {
        const redis = (await page.locator("#redis dd").allTextContents())
        assert.match(redis[0]!, /^\d+\.\d+\.\d+/, "the Redis version")
        assert.match(redis[1]!, /\d+(\.\d)? (B|KiB|MiB)/, "used memory")
        assert.isNotEmpty(redis[2], "the eviction policy")
      } else {
        await page.locator("#redis-na").getByText("n/a").waitFor()
      }
      await shoot("overview")
    })

    it("a tab left open costs nothing: no request, and on Redis no command, while it sits idle", async () => {
      await page.goto(`${ui()}/#/overview`)
      await page.getByRole("heading", { name: "Overview" }).waitFor()
      const [requestsBefore, commandsBefore, samplerBefore] = [requests.length, await served.redisCommands(), await served.redisCalls("zrangebyscore")]
      await page.waitForTimeout(4_000)
      const [samplerAfter, commandsAfter] = [await served.redisCalls("zrangebyscore"), await served.redisCommands()]
      assert.strictEqual(requests.length, requestsBefore, "no polling")
      if (commandsBefore !== undefined) {
        // The gateway's throughput sampler reads worker_registry every 10 s whatever the tabs (ZRANGEBYSCORE; no worker is registered here).
        assert.strictEqual((commandsAfter! - commandsBefore) - (samplerAfter! - samplerBefore!), 3, "only the INFO readings of this measure ran in 4 s, and the sampler")
      }
    })

    it("a read-only key sees every view but no action, and the gateway refuses it any write", async () => {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      watch(tab)
      await logIn(tab, ui(), readOnlyKey)
      await tab.getByText("read-only key viewer").waitFor()
      assert.isFalse(await tab.getByRole("link", { name: "Submit" }).isVisible(), "no Submit view")
      await tab.goto(`${ui()}/#/dead`)
      await rowCount(tab, 3)
      assert.strictEqual(await tab.getByRole("button", { name: /Requeue|Purge/ }).count(), 0, "no dead-letter action")
      await tab.goto(`${ui()}/#/job/${seeded.pending[1]}`)
      await tab.getByRole("heading", { name: `Job ${seeded.pending[1]}` }).waitFor()
      assert.strictEqual(await tab.getByRole("button", { name: "Cancel job" }).count(), 0, "no cancel")
      await tab.close()
      const refused = await fetch(`${served.url}/v1/jobs/${seeded.pending[1]}`, { method: "DELETE", headers: { authorization: `Bearer ${readOnlyKey}` } })
      assert.strictEqual(refused.status, 401)
      assert.include(await refused.text(), "API key viewer is read-only")
      assert.strictEqual((await getJson(served.url, `jobs/${seeded.pending[1]}`)).body.status, "pending", "nothing cancelled")
    })

    it("job lists per state, filtered by priority and name, paged by cursor", async () => {
      await page.goto(`${ui()}/#/jobs?status=pending`)
      await page.getByRole("heading", { name: "Jobs · pending" }).waitFor()
      assert.sameMembers(await page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id"))), [...seeded.pending, seeded.processing],
        "queued jobs, and the running one (its stored status stays pending, as Go writes it)")
      await shoot("jobs")
      await page.getByLabel("Priority").selectOption("high")
      await page.getByRole("button", { name: "Apply" }).click()
      await page.waitForURL(/priority=high/)
      await rowCount(page, 1)
      assert.deepStrictEqual(await page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id"))), [seeded.pending[0]])
      await page.goto(`${ui()}/#/jobs?status=pending&name=send_email&limit=2`)
      await rowCount(page, 2)
      const first = await page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")))
      await page.locator("#next-page").click()
      await rowCount(page, 1)
      const second = await page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")))
      assert.sameMembers([...first, ...second], seeded.pending.slice(1, 4), "two pages hold the three send_email jobs")
      await page.getByText("End of list").waitFor()
      await page.getByRole("button", { name: "← Previous" }).click()
      await rowCount(page, 2)
      for (const [status, id] of [["scheduled", seeded.scheduled], ["completed", seeded.completed]] as const) {
        await page.goto(`${ui()}/#/jobs?status=${status}`)
        await page.locator(`tbody tr[data-id="${id}"]`).waitFor()
        assert.strictEqual(await page.locator("tbody tr").count(), 1, status)
      }
    })

    it("find by id opens the job; its payload is shown byte for byte (pretty-printed, no number altered)", async () => {
      await page.goto(`${ui()}/#/overview`)
      await page.getByRole("heading", { name: "Overview" }).waitFor()
      await page.keyboard.press("/")
      await page.keyboard.type(seeded.pending[0]!)
      await page.keyboard.press("Enter")
      await page.getByRole("heading", { name: `Job ${seeded.pending[0]}` }).waitFor()
      const shown = (await page.getByLabel("Payload").textContent())!
      assert.include(shown, "\n", "pretty-printed on several lines")
      assert.strictEqual(shown.replace(/\s+/g, ""), exactPayload.replace(/\s+/g, ""), "every token as submitted")
      for (const token of ["1.10", "12345678901234567890", "2.50e3", "-0.0", "caf\\u00e9"]) assert.include(shown, token)
      await shoot("job")
      await page.goto(`${ui()}/#/job/${seeded.completed}`)
      const result = (await page.getByLabel("Result").textContent())!
      assert.include(result, "19.90")
      assert.include(result, `"EUR"`)
      await page.goto(`${ui()}/#/job/no-such-job`)
      await page.getByRole("heading", { name: "Job not found" }).waitFor()
    })

    it("cancel asks first: declined, nothing changes; confirmed, the job is cancelled", async () => {
      const id = seeded.pending[4]!
      await page.goto(`${ui()}/#/job/${id}`)
      await page.getByRole("button", { name: "Cancel job" }).click()
      const dialog = page.getByRole("dialog")
      await dialog.getByText(`Cancel job ${id}`).waitFor()
      await page.keyboard.press("Escape")
      await dialog.waitFor({ state: "hidden" })
      assert.strictEqual((await getJson(served.url, `jobs/${id}`)).body.status, "pending", "declined: still queued")
      await page.getByRole("button", { name: "Cancel job" }).click()
      await dialog.getByRole("button", { name: "Cancel job" }).click()
      await page.getByText(`Cancelled ${id}`).waitFor()
      assert.strictEqual((await getJson(served.url, "stats")).body.queued.low, 0)
    })

    it("dead letters: requeue one, requeue all, purge, each after its confirmation", async () => {
      await page.goto(`${ui()}/#/dead`)
      await page.getByRole("heading", { name: "Dead letters" }).waitFor()
      await rowCount(page, 3)
      await shoot("dead")
      const one = seeded.dead[0]!
      await page.getByRole("button", { name: `Requeue ${one}` }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Requeue" }).click()
      await page.getByText(`Requeued ${one}`).waitFor()
      await rowCount(page, 2)
      assert.strictEqual((await getJson(served.url, `jobs/${one}`)).body.status, "pending")

      await page.getByRole("button", { name: "Requeue all" }).click()
      await page.getByRole("dialog").getByText("Requeue all 2 dead jobs?").waitFor()
      await page.getByRole("dialog").getByRole("button", { name: "Requeue all" }).click()
      await page.getByText("Requeued 2 dead jobs").waitFor()
      assert.strictEqual((await getJson(served.url, "stats")).body.dead, 0)

      const doomed = await submit(served.url, `{"name":"purge_me","maxRetries":1,"routingKey":"purge"}`)
      await served.queue(Effect.gen(function*() {
        const q = yield* JobQueue
        yield* q.fail(yield* takeJob({ routingKey: "purge" }), "boom", { durationMs: 1, now: Timestamp.fromDate(new Date()) })
      }))
      await page.getByRole("button", { name: "Refresh" }).click()
      await page.locator(`tbody tr[data-id="${doomed}"]`).waitFor()
      await page.getByRole("button", { name: "Purge all" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Purge" }).click()
      await page.getByText("1 removed").waitFor()
      assert.strictEqual((await getJson(served.url, "stats")).body.dead, 0)
      assert.strictEqual((await getJson(served.url, `jobs/${doomed}`)).status, 404)
    })

    it("submit: the payload is checked as JSON, then sent byte for byte after a confirmation", async () => {
      await page.goto(`${ui()}/#/submit`)
      await page.getByLabel("Name").fill("from_browser")
      await page.getByLabel("Priority").selectOption("high")
      const payload = page.getByLabel("Payload (JSON)")
      await payload.fill(`{"n": 1.50,`)
      await page.getByText("Not JSON").waitFor()
      await page.getByRole("button", { name: "Submit job" }).click()
      assert.strictEqual(await page.getByRole("dialog").isVisible(), false, "invalid JSON is not submitted")
      await payload.fill(`{"n": 1.50, "big": 98765432109876543210}`)
      await page.getByText("Valid JSON").waitFor()
      await shoot("submit")
      await page.getByRole("button", { name: "Submit job" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Submit" }).click()
      await page.waitForURL(/#\/job\//)
      const id = decodeURIComponent(page.url().split("#/job/")[1]!)
      const stored = await fetch(`${served.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${apiKey}` } }).then((r) => r.text())
      assert.include(stored, `"payload":{"n": 1.50, "big": 98765432109876543210}`)
      assert.include(stored, `"priority":"high"`)
    })

    it("axe-core finds no serious violation in any view, light or dark", async () => {
      const found: Array<string> = []
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme })
        for (const [view, heading] of [["overview", "Overview"], ["jobs?status=pending", "Jobs · pending"], [`job/${seeded.completed}`, `Job ${seeded.completed}`], ["dead", "Dead letters"], ["workers", "Workers"], ["processing", "Jobs · processing"], ["schedules", "Schedules"], ["submit", "Submit a job"]] as Array<[string, string]>) {
          await page.goto(`${ui()}/#/${view}`)
          await page.getByRole("heading", { name: heading, exact: true }).waitFor()
          found.push(...(await seriousViolations(page)).map((v) => `${scheme} ${view}: ${v}`))
        }
        if (scheme === "dark") {
          await page.goto(`${ui()}/#/job/${seeded.completed}`)
          await page.getByLabel("Result").waitFor()
          await shoot("job-dark")
        }
      }
      await page.emulateMedia({ colorScheme: "light" })
      assert.deepStrictEqual(found, [])
    })

    it("readable on a phone", async () => {
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, colorScheme: "light" })
      watch(phone)
      await logIn(phone, ui())
      const overflow = await phone.evaluate(() => (globalThis as any).document.documentElement.scrollWidth - (globalThis as any).document.documentElement.clientWidth)
      assert.isAtMost(overflow, 0, "no horizontal scroll of the page")
      await shoot("overview-phone", phone)
      await phone.close()
    })

    it("under a base path behind a reverse proxy: /base/ui serves the page and every call goes to /base/v1", async () => {
      const proxy = await basePathProxy(served.url)
      try {
        const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } })
        const seen: Array<string> = []
        tab.on("request", (r) => seen.push(r.url()))
        await logIn(tab, `${proxy.url}/ui`)
        await tab.goto(`${proxy.url}/ui/#/dead`)
        await tab.getByRole("heading", { name: "Dead letters" }).waitFor()
        await tab.close()
        const paths = seen.map((u) => new URL(u).pathname)
        assert.isTrue(paths.every((p) => p.startsWith("/base/")), paths.join(" "))
        assert.includeMembers(paths, ["/base/ui/", "/base/ui/app.js", "/base/ui/app.css", "/base/v1/stats", "/base/v1/dead"])
      } finally {
        await proxy.close()
      }
    })

    it("live: a job submitted by another process shows on the open overview without a reload", async () => {
      await page.goto(`${ui()}/#/overview`)
      const queued = page.locator(".cards a", { hasText: "Queued" }).locator(".value")
      await queued.waitFor()
      await page.locator("#live", { hasText: /^live$/ }).waitFor()
      const before = Number(await queued.textContent())
      const requestsBefore = requests.length
      const submitted = await promisify(execFile)("curl", ["-sS", "-X", "POST", "-H", `authorization: Bearer ${apiKey}`, "-H", "content-type: application/json",
        "--data", `{"name":"from_curl","priority":"low"}`, `${served.url}/v1/jobs`])
      assert.include(submitted.stdout, `"id"`)
      await page.waitForFunction((n) => Number((globalThis as any).document.querySelector(".cards a .value").textContent) === n, before + 1)
      assert.isAtMost(requests.length - requestsBefore, 6, "one refresh (its four reads: stats, throughput, latency, redis), not a poll")
    })

    it("workers: a running worker is listed with what it serves; the holder of a job that never registered is unknown; a stopped worker drops off", async () => {
      const stop = await served.startWorker({ workerId: "ui-worker-1", routingKey: "ui_workers", concurrency: 4 })
      try {
        await page.goto(`${ui()}/#/workers`)
        await page.getByRole("heading", { name: "Workers", exact: true }).waitFor()
        const row = page.locator('#workers tr[data-id="ui-worker-1"]')
        await row.waitFor()
        const cells = (await row.locator("td").allTextContents()).map((c) => c.replace(/\s+/g, " ").trim())
        assert.strictEqual(cells[0], "ui-worker-1")
        assert.strictEqual(cells[2], String(process.pid))
        assert.strictEqual(cells[3], "0 / 4")
        assert.strictEqual(cells[4], "high low route ui_workers")
        assert.match(cells[5]!, /^\d+ s$/)
        const unknown = (await page.locator('#unknown-workers tr[data-owner="worker-a"] td').allTextContents()).map((c) => c.trim())
        assert.deepStrictEqual(unknown.slice(0, 2), ["worker-a", "1"], "the seeded job's holder never registered")
        await shoot("workers")

        // What it runs shows in the overview's throughput, from the gateway's samples of its counters.
        const ids = []
        for (let i = 0; i < 6; i++) ids.push(await submit(served.url, `{"name":"ui_ok","priority":"high","routingKey":"ui_workers"}`))
        for (let i = 0; i < 2; i++) ids.push(await submit(served.url, `{"name":"ui_bad","priority":"high","routingKey":"ui_workers","maxRetries":1}`))
        const totals = async () => {
          const { body } = await getJson(served.url, "throughput")
          return (body.buckets as Array<{ processed: number; failed: number }>).reduce((t, b) => [t[0]! + b.processed, t[1]! + b.failed], [0, 0])
        }
        for (let i = 0; i < 120 && (await totals()).join() !== "6,2"; i++) await new Promise((resolve) => setTimeout(resolve, 100))
        assert.deepStrictEqual(await totals(), [6, 2], "six completed, two failed attempts, within a heartbeat and a sample")
        await page.goto(`${ui()}/#/overview`)
        await page.locator("#chart-processed rect").first().waitFor()
        assert.isAtLeast(await page.locator("#chart-failures rect").count(), 1, "the failure rate has a bar")
        await page.locator("#chart-processed").scrollIntoViewIfNeeded()
        await shoot("overview-charts")
      } finally {
        await stop()
      }
      const { body } = await getJson(served.url, "workers")
      assert.deepStrictEqual(body.workers.map((w: { id: string }) => w.id), [], "a stopped worker's registration is removed")
      await page.goto(`${ui()}/#/workers`)
      await page.getByRole("heading", { name: "Workers", exact: true }).waitFor()
      await page.locator("#no-workers").waitFor()
    })

    it("processing: each held job with its lease owner, expiry and age; the job shows its lease, and its trace id linked by the gateway's template", async () => {
      await page.goto(`${ui()}/#/processing`)
      await page.getByRole("heading", { name: "Jobs · processing" }).waitFor()
      const row = page.locator(`#processing tr[data-id="${seeded.processing}"]`)
      const cells = (await row.locator("td").allTextContents()).map((c) => c.trim())
      assert.deepStrictEqual([cells[0], cells[1], cells[2], cells[3], cells[6]], [seeded.processing, "crawl", "normal", "worker-a", "0/3"])
      assert.match(cells[4]!, /in [45] minutes/, "the 5-minute lease")
      assert.match(cells[5]!, /^\d+ (s|min \d+ s)$/)
      await shoot("processing")
      await row.getByRole("link").click()
      await page.getByRole("heading", { name: `Job ${seeded.processing}` }).waitFor()
      assert.match(await page.locator("#lease").textContent() ?? "", /^held by worker-a, expires in [45] minutes \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/)
      const lease = await getJson(served.url, `jobs/${seeded.processing}/lease`)
      assert.deepStrictEqual([lease.body.processing, lease.body.owner], [true, "worker-a"])
      assert.deepStrictEqual((await getJson(served.url, `jobs/${seeded.pending[1]}/lease`)).body, { id: seeded.pending[1], processing: false })

      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
      const traced = await served.queue(Effect.gen(function*() {
        const job = { ...(yield* newJob("traced")), traceContext: `00-${traceId}-00f067aa0ba902b7-01` }
        yield* (yield* JobQueue).enqueue(job)
        return job.id
      }))
      await page.goto(`${ui()}/#/job/${traced}`)
      const link = page.locator("a#trace")
      assert.strictEqual(await link.textContent(), traceId)
      assert.strictEqual(await link.getAttribute("href"), traceLink.replace("{traceId}", traceId))
    })

    it("schedules: the seeded one listed with when it runs; run now, pause and resume, each confirmed and checked through /v1; a read-only key sees none", async () => {
      await page.goto(`${ui()}/#/schedules`)
      await page.getByRole("heading", { name: "Schedules" }).waitFor()
      const row = page.locator('#schedules tr[data-id="nightly"]')
      const cells = async () => (await row.locator("td").allTextContents()).map((c) => c.replace(/\s+/g, " ").trim())
      const first = await cells()
      assert.deepStrictEqual([first[0], first[1], first[2], first[3], first[5], first[6]], ["nightly", "0 3 * * * (Europe/Paris)", "nightly_report low", "active", "never", "0"])
      assert.match(first[4]!, /^in \d+ hours?$|^tomorrow$|^in \d+ minutes?$/)
      await shoot("schedules")

      await row.getByRole("button", { name: "Run now" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click()
      assert.strictEqual((await getJson(served.url, "schedules/nightly")).body.state.run_count, undefined, "cancelled: nothing ran")
      await row.getByRole("button", { name: "Run now" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Run now" }).click()
      await page.getByText("Ran nightly now").waitFor()
      await page.waitForFunction(() => (globalThis as any).document.querySelector('#schedules tr[data-id="nightly"] td:nth-child(7)')?.textContent === "1")
      const ran = await getJson(served.url, "jobs?name=nightly_report")
      assert.deepStrictEqual(ran.body.jobs.map((j: { name: string; priority: string }) => [j.name, j.priority]), [["nightly_report", "low"]], "one job enqueued")

      await row.getByRole("button", { name: "Pause" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Pause" }).click()
      await row.getByRole("button", { name: "Resume" }).waitFor()
      assert.strictEqual((await cells())[3], "paused")
      assert.strictEqual((await getJson(served.url, "schedules/nightly")).body.schedule.enabled, false)
      await row.getByRole("button", { name: "Resume" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Resume" }).click()
      await row.getByRole("button", { name: "Pause" }).waitFor()
      assert.strictEqual((await getJson(served.url, "schedules/nightly")).body.schedule.enabled, true)

      const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      watch(tab)
      await logIn(tab, ui(), readOnlyKey)
      await tab.goto(`${ui()}/#/schedules`)
      await tab.locator('#schedules tr[data-id="nightly"]').waitFor()
      assert.strictEqual(await tab.getByRole("button", { name: /Run now|Pause|Resume/ }).count(), 0, "no schedule action")
      await tab.close()
    })

    it("queues: pause and resume a queue from the overview, each confirmed and checked through /v1; a read-only key sees neither", async () => {
      await page.goto(`${ui()}/#/overview`)
      const row = page.locator('#queues tr[data-queue="low"]')
      await row.waitFor()
      const state = async () => (await row.locator("td").nth(2).textContent())?.trim()
      assert.strictEqual(await state(), "active")
      await row.getByRole("button", { name: "Pause queue low" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click()
      assert.deepStrictEqual((await getJson(served.url, "queues/paused")).body, { paused: [] }, "cancelled: nothing paused")
      await row.getByRole("button", { name: "Pause queue low" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Pause" }).click()
      await row.getByRole("button", { name: "Resume queue low" }).waitFor()
      assert.strictEqual(await state(), "paused")
      assert.deepStrictEqual((await getJson(served.url, "queues/paused")).body, { paused: [{ priority: "low" }] })

      const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      watch(tab)
      await logIn(tab, ui(), readOnlyKey)
      await tab.locator('#queues tr[data-queue="low"]').waitFor()
      assert.strictEqual((await tab.locator('#queues tr[data-queue="low"] td').nth(2).textContent())?.trim(), "paused")
      assert.strictEqual(await tab.getByRole("button", { name: /queue/ }).count(), 0, "no queue action")
      await tab.close()

      await row.getByRole("button", { name: "Resume queue low" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Resume" }).click()
      await row.getByRole("button", { name: "Pause queue low" }).waitFor()
      assert.deepStrictEqual((await getJson(served.url, "queues/paused")).body, { paused: [] })
    })

    it("the page asked nothing of any origin but the gateway, broke no CSP rule, threw nothing", () => {
      const origin = new URL(served.url).origin
      assert.deepStrictEqual(requests.filter((u) => new URL(u).origin !== origin), [])
      assert.deepStrictEqual(cspViolations, [])
      assert.deepStrictEqual(pageErrors, [])
    })
  })

/** Waits until the page's table has `n` rows. */
const rowCount = (page: Page, n: number) =>
  page.waitForFunction((n) => (globalThis as any).document.querySelectorAll("tbody tr").length === n, n)

/** A reverse proxy serving the gateway under `/base/` (the prefix stripped), as a deployment behind nginx would. */
export const basePathProxy = async (target: string): Promise<{ url: string; close: () => Promise<void> }> => {
  const upstream = new URL(target)
  const server: Server = createServer((req, res) => {
    if (!req.url?.startsWith("/base/")) {
      res.writeHead(404).end()
      return
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url.slice("/base".length), headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    forward.on("error", () => res.writeHead(502).end())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`,
    close: () => new Promise((resolve) => server.close(() => resolve()))
  }
}
