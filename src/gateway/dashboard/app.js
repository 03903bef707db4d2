// The Bananas dashboard: a client of the gateway's `/v1` API (the same contract as
// every other client), run in the browser without a build step or any other origin.
// The API key lives in sessionStorage for the tab only, never in a URL or a log.
// Views are routed by the URL's hash (#/overview, #/jobs?status=..., #/job/<id>, ...).

const apiBase = new URL("../v1/", location.href)
const sessionUrl = new URL("session", location.href)
const eventsUrl = new URL("events", location.href)
const keyName = "bananas.apiKey"
// Go never stores `processing` (a running job keeps `pending`), so no list filters by it.
const statuses = ["pending", "scheduled", "completed", "failed"]
const priorities = ["high", "normal", "low"]
const pageSize = 50
/** Whether the key may only read (from the gateway's `/ui/session`): actions are not shown then. */
let readOnly = true
/** The gateway's link template to a trace (`{traceId}`), or null. */
let traceLink = null

// --- DOM helpers -------------------------------------------------------------

/** An element with attributes (`on*` as listeners) and children (strings as text: never parsed as HTML). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value)
    else el.setAttribute(name, value === true ? "" : String(value))
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const main = () => document.getElementById("main")

/** Replaces the main area with `nodes`; moves focus there so a screen reader announces the view. */
function show(...nodes) {
  const m = main()
  m.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== undefined && n !== null))
  const heading = m.querySelector("h1")
  if (heading) {
    heading.setAttribute("tabindex", "-1")
    heading.focus({ preventScroll: true })
  }
}

function toast(message, bad = false) {
  const p = h("p", { class: bad ? "bad" : undefined }, message)
  document.getElementById("toast").append(p)
  setTimeout(() => p.remove(), 6000)
}

/** Asks before an action: a modal dialog (Esc or Cancel says no). */
function confirmAction(text, label = "Confirm") {
  const dialog = document.getElementById("confirm")
  document.getElementById("confirm-text").textContent = text
  document.getElementById("confirm-ok").textContent = label
  dialog.returnValue = ""
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true })
    dialog.showModal()
    dialog.querySelector("button.ghost").focus()
  })
}

// --- API -----------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, tag, message) {
    super(message)
    this.status = status
    this.tag = tag
  }
}

/**
 * One call to `/v1`: the response's raw text (kept byte for byte) and its parsed value.
 * `snapshot`: the live feed's token of the change this read is for; the gateway runs
 * one read for all the tabs naming it.
 */
async function call(method, path, body, base = apiBase, snapshot = undefined) {
  const headers = { accept: "application/json" }
  if (snapshot) headers["bananas-snapshot"] = snapshot
  const key = sessionStorage.getItem(keyName)
  if (key) headers.authorization = `Bearer ${key}`
  if (body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(new URL(path, base), { method, headers, body, cache: "no-store", credentials: "omit" })
  const text = await response.text()
  let value
  try {
    value = text === "" ? undefined : JSON.parse(text)
  } catch {
    value = undefined
  }
  if (!response.ok) {
    if (response.status === 401) {
      sessionStorage.removeItem(keyName)
      renderLogin("The gateway refused the key: log in again.")
    }
    throw new ApiError(response.status, value?._tag ?? "HttpError", value?.message ?? `${method} ${path}: HTTP ${response.status}`)
  }
  return { text, value }
}

function query(params) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v)
  const s = q.toString()
  return s === "" ? "" : `?${s}`
}

// --- JSON shown byte for byte ------------------------------------------------------

/**
 * The tokens of a JSON text, each with its start and end offsets: strings, numbers
 * and literals are never parsed, so pretty-printing keeps them exactly as written.
 */
function tokenize(text) {
  const tokens = []
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === " " || c === "\n" || c === "\r" || c === "\t") { i++; continue }
    if ("{}[],:".includes(c)) { tokens.push({ type: c, start: i, end: i + 1 }); i++; continue }
    if (c === "\"") {
      let j = i + 1
      while (j < text.length && text[j] !== "\"") j += text[j] === "\\" ? 2 : 1
      tokens.push({ type: "str", start: i, end: Math.min(j + 1, text.length) })
      i = j + 1
      continue
    }
    let j = i
    while (j < text.length && !" \n\r\t{}[],:\"".includes(text[j])) j++
    tokens.push({ type: /^[-0-9]/.test(c) ? "num" : "lit", start: i, end: j })
    i = j
  }
  return tokens
}

/** The raw text of a top-level member of a JSON object (`undefined` when absent). */
function member(text, name) {
  const tokens = tokenize(text)
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t.type === "{" || t.type === "[") depth++
    else if (t.type === "}" || t.type === "]") depth--
    else if (depth === 1 && t.type === "str" && tokens[i + 1]?.type === ":" && text.slice(t.start, t.end) === JSON.stringify(name)) {
      const first = tokens[i + 2]
      if (!first) return undefined
      let d = 0
      for (let j = i + 2; j < tokens.length; j++) {
        const u = tokens[j]
        if (u.type === "{" || u.type === "[") d++
        else if (u.type === "}" || u.type === "]") d--
        if (d === 0) return text.slice(first.start, u.end)
      }
      return undefined
    }
  }
  return undefined
}

/** A `<pre>` of the JSON text indented, every token as written (numbers never re-encoded). */
function prettyJson(text, label) {
  const pre = h("pre", { class: "json", tabindex: "0", "aria-label": label })
  const tokens = tokenize(text)
  let depth = 0
  const indent = () => "\n" + "  ".repeat(depth)
  const out = []
  const push = (s, cls) => out.push(cls ? h("span", { class: cls }, s) : s)
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    const raw = text.slice(t.start, t.end)
    const next = tokens[i + 1]
    switch (t.type) {
      case "{": case "[":
        if (next && (next.type === "}" || next.type === "]")) { push(raw + text.slice(next.start, next.end)); i++; break }
        depth++
        push(raw + indent())
        break
      case "}": case "]":
        depth--
        push(indent() + raw)
        break
      case ",": push("," + indent()); break
      case ":": push(": "); break
      case "str": push(raw, next?.type === ":" ? "j-key" : "j-str"); break
      case "num": push(raw, "j-num"); break
      default: push(raw, "j-lit")
    }
  }
  pre.append(...out)
  return pre
}

// --- formatting ----------------------------------------------------------------

function relative(date) {
  const seconds = Math.round((date.getTime() - Date.now()) / 1000)
  const abs = Math.abs(seconds)
  const [n, unit] = abs < 60 ? [seconds, "second"] : abs < 3600 ? [Math.round(seconds / 60), "minute"]
    : abs < 86400 ? [Math.round(seconds / 3600), "hour"] : [Math.round(seconds / 86400), "day"]
  return new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(n, unit)
}

/** A time as relative words, the absolute UTC time beside (and in `datetime`). */
function when(iso, withAbsolute = false) {
  if (!iso) return "—"
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const absolute = date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z").replace("Z", " UTC")
  return h("time", { datetime: iso, title: absolute }, withAbsolute ? `${relative(date)} (${absolute})` : relative(date))
}

const pill = (text, cls) => h("span", { class: `pill ${cls}` }, text)
const jobLink = (id) => h("a", { href: `#/job/${encodeURIComponent(id)}`, class: "mono" }, id)

// --- views -------------------------------------------------------------------------

function renderLogin(message) {
  live?.abort()
  live = undefined
  for (const id of ["nav", "find", "logout", "scope", "live"]) document.getElementById(id).hidden = true
  const error = h("p", { class: "error", id: "login-error", role: "alert" }, message ?? "")
  const input = h("input", { id: "api-key", name: "key", type: "password", autocomplete: "current-password", spellcheck: "false", "aria-describedby": "login-hint" })
  const form = h("form", { class: "login form", onsubmit: async (e) => {
    e.preventDefault()
    sessionStorage.setItem(keyName, input.value.trim())
    try {
      await startApp()
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) error.textContent = `The gateway did not answer: ${err.message}`
    }
  } },
    h("h1", {}, "Log in"),
    h("label", { for: "api-key" }, "API key", input),
    h("p", { class: "hint", id: "login-hint" }, "Kept for this tab only (sessionStorage); sent as a bearer token to this gateway's /v1."),
    h("button", { type: "submit" }, "Log in"),
    error)
  main().replaceChildren(form)
  input.focus()
}

/** An SVG element (attributes only: the CSP forbids inline styles). */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag)
  for (const [name, value] of Object.entries(attrs ?? {})) if (value !== undefined) el.setAttribute(name, String(value))
  el.append(...children)
  return el
}

/**
 * A bar per minute over the last hour (oldest left), as inline SVG: `values` maps a
 * minute's start (epoch ms) to its value; `format` writes a value for the scale.
 */
function minuteChart(id, title, values, format, cls) {
  const minute = 60_000
  const end = Date.now() - (Date.now() % minute)
  const points = Array.from({ length: 60 }, (_, i) => values.get(end - (59 - i) * minute))
  const known = points.filter((v) => v !== undefined)
  const max = Math.max(0, ...known)
  const [w, hgt, pad] = [600, 120, 18]
  const barW = w / 60
  const bars = points.map((v, i) => {
    if (v === undefined || v === 0) return undefined
    const bh = Math.max(1, ((hgt - pad) * v) / (max || 1))
    return svg("rect", { x: (i * barW + 1).toFixed(1), y: (hgt - pad - bh).toFixed(1), width: (barW - 2).toFixed(1), height: bh.toFixed(1), class: cls },
      svg("title", {}, `${new Date(end - (59 - i) * minute).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}: ${format(v)}`))
  })
  const summary = known.length === 0 ? "no sample yet" : `peak ${format(max)} a minute`
  return h("figure", { class: "minutes", id },
    h("figcaption", {}, title, h("span", { class: "muted" }, ` · ${summary}`)),
    svg("svg", { viewBox: `0 0 ${w} ${hgt}`, role: "img", "aria-label": `${title}, last hour: ${summary}` },
      svg("line", { x1: 0, y1: hgt - pad, x2: w, y2: hgt - pad, class: "axis" }),
      svg("text", { x: 2, y: hgt - 4, class: "tick" }, "60 min ago"),
      svg("text", { x: w - 2, y: hgt - 4, class: "tick", "text-anchor": "end" }, "now"),
      ...bars.filter(Boolean)))
}

function bytes(n) {
  if (n === undefined) return "—"
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

/** A call whose failure leaves its part of the view out (the rest still shows). */
const optional = (promise) => promise.then((r) => r.value, (err) => (err instanceof ApiError && err.status === 401 ? Promise.reject(err) : undefined))

async function renderOverview(view, snapshot) {
  const read = (path) => call("GET", path, undefined, apiBase, snapshot)
  const [{ value: s }, throughput, latency, redis] = await Promise.all([
    read("stats"), optional(read("throughput")), optional(read("latency")), optional(read("redis"))
  ])
  const queued = s.queued.high + s.queued.normal + s.queued.low
  const card = (label, value, href, alert) =>
    h("a", { class: `card${alert && value > 0 ? " alert" : ""}`, href }, h("div", { class: "label" }, label), h("div", { class: "value" }, value.toLocaleString()))
  const rows = [
    ["queued · high", s.queued.high, "#/jobs?status=pending&priority=high"],
    ["queued · normal", s.queued.normal, "#/jobs?status=pending&priority=normal"],
    ["queued · low", s.queued.low, "#/jobs?status=pending&priority=low"],
    ["scheduled", s.scheduled, "#/jobs?status=scheduled"],
    ["processing", s.processing, "#/processing"],
    ["dead", s.dead, "#/dead"]
  ]
  const max = Math.max(1, ...rows.map((r) => r[1]))
  const chart = h("div", { class: "chart", role: "table", "aria-label": "Depth per queue" }, rows.map(([label, n, href]) => {
    const fill = h("div", { class: "fill" })
    fill.style.width = `${(100 * n) / max}%`
    return h("div", { class: "row", role: "row" },
      h("a", { href, role: "rowheader" }, label),
      h("div", { class: "track", role: "cell", "aria-hidden": "true" }, fill),
      h("span", { class: "num", role: "cell" }, n.toLocaleString()))
  }))
  view(
    h("h1", {}, "Overview"),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => route() }, "Refresh")),
    h("div", { class: "cards" },
      card("Queued", queued, "#/jobs?status=pending"),
      card("Scheduled", s.scheduled, "#/jobs?status=scheduled"),
      card("Processing", s.processing, "#/processing"),
      card("Dead", s.dead, "#/dead", true)),
    h("h2", {}, "Depth per queue"),
    chart,
    queuesView(s),
    throughputView(throughput),
    latencyView(latency),
    redisView(redis),
    h("p", { class: "muted" }, `Read ${new Date().toLocaleTimeString()} from GET /v1/stats, /v1/throughput, /v1/latency and /v1/redis.`)
  )
}

/** The queues with their paused state, and Pause / Resume (confirmed) for a key that may act. */
function queuesView(s) {
  const paused = s.paused ?? []
  const isPaused = (q) => paused.some((p) => p.priority === q.priority && (p.routingKey ?? "") === (q.routingKey ?? ""))
  const queues = [...["high", "normal", "low"].map((priority) => ({ priority })), ...paused.filter((p) => p.routingKey !== undefined)]
  const name = (q) => (q.routingKey === undefined ? q.priority : `${q.priority} (route ${q.routingKey})`)
  const toggle = (q) => {
    const verb = isPaused(q) ? "resume" : "pause"
    const label = verb === "pause" ? "Pause" : "Resume"
    const text = verb === "pause"
      ? `Pause queue ${name(q)}? Our workers take nothing from it until it is resumed; submissions still land (Go workers do not know pause).`
      : `Resume queue ${name(q)}? Waiting workers take its jobs at once.`
    return h("button", { type: "button", class: "ghost", "aria-label": `${label} queue ${name(q)}`, onclick: async () => {
      if (!(await confirmAction(text, label))) return
      const query = q.routingKey === undefined ? "" : `?routingKey=${encodeURIComponent(q.routingKey)}`
      await act(() => call("POST", `queues/${q.priority}/${verb}${query}`), `${label}d queue ${name(q)}`)
      route()
    } }, label)
  }
  return [
    h("h2", {}, "Queues"),
    h("table", { id: "queues", class: "queues" },
      h("thead", {}, h("tr", {}, ["queue", "queued", "state", readOnly ? undefined : "actions"].filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, queues.map((q) =>
        h("tr", { "data-queue": name(q) },
          h("td", {}, name(q)),
          h("td", { class: "num" }, q.routingKey === undefined ? s.queued[q.priority].toLocaleString() : "—"),
          h("td", {}, isPaused(q) ? pill("paused", "paused") : "active"),
          readOnly ? undefined : h("td", { class: "actions" }, toggle(q))))))
  ]
}

function throughputView(t) {
  if (!t || !t.available) return [h("h2", {}, "Throughput"), h("p", { class: "muted" }, "Not sampled: this gateway's backend has no worker registry.")]
  const processed = new Map()
  const rate = new Map()
  for (const b of t.buckets) {
    const at = Date.parse(b.at)
    processed.set(at, b.processed)
    const done = b.processed + b.failed
    if (done > 0) rate.set(at, (100 * b.failed) / done)
  }
  return [
    h("h2", {}, "Throughput"),
    h("p", { class: "muted" }, `Sampled by the gateway every ${t.sampleSeconds} s from the registered workers' counters since ${new Date(t.since).toLocaleTimeString()}.`),
    h("div", { class: "charts" },
      minuteChart("chart-processed", "Jobs completed per minute", processed, (v) => v.toLocaleString(), "bar"),
      minuteChart("chart-failures", "Failure rate per minute", rate, (v) => `${v.toFixed(v < 10 ? 1 : 0)} %`, "bar bad"))
  ]
}

function latencyView(l) {
  if (!l) return undefined
  return [
    h("h2", {}, "Queue latency"),
    h("div", { class: "scroll" }, h("table", { id: "latency" },
      h("thead", {}, h("tr", {}, ["queue", "oldest waiting job", "waiting for"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, l.queues.map((q) => h("tr", { "data-priority": q.priority },
        h("td", {}, pill(q.priority, `p-${q.priority}`)),
        h("td", {}, q.oldestId ? jobLink(q.oldestId) : h("span", { class: "muted" }, "empty")),
        h("td", { class: "num" }, q.ageMillis === undefined ? (q.oldestId ? "unknown" : "—") : span(q.ageMillis)))))))
  ]
}

function redisView(r) {
  if (!r) return undefined
  if (!r.available) return [h("h2", {}, "Redis"), h("p", { class: "muted", id: "redis-na" }, "n/a: this gateway runs on the memory backend.")]
  const field = (label, value, bad) => [h("dt", {}, label), h("dd", { class: bad ? "error" : undefined }, value)]
  return [
    h("h2", {}, "Redis"),
    h("dl", { class: "fields", id: "redis" },
      field("version", r.version ?? "—"),
      field("used memory", `${bytes(r.usedMemory)}${r.maxMemory ? ` of ${bytes(r.maxMemory)}` : " (no maxmemory)"}`),
      field("eviction policy", r.maxMemoryPolicy === "noeviction" ? "noeviction" : `${r.maxMemoryPolicy ?? "—"}: a full Redis may evict jobs; set noeviction`, r.maxMemoryPolicy !== undefined && r.maxMemoryPolicy !== "noeviction"),
      field("clients", r.connectedClients ?? "—"),
      field("up for", r.uptimeSeconds === undefined ? "—" : span(r.uptimeSeconds * 1000)))
  ]
}

/** The columns of a job table: heading and cell. */
const columns = {
  id: ["id", (j) => jobLink(j.id)],
  name: ["name", (j) => j.name],
  priority: ["priority", (j) => pill(j.priority, `p-${j.priority}`)],
  status: ["status", (j) => h("span", { class: `s-${j.status}` }, j.status || "—")],
  attempts: ["attempts", (j) => `${j.attempts}/${j.max_retries}`],
  created: ["created", (j) => when(j.created_at)],
  updated: ["dead since", (j) => when(j.updated_at)],
  scheduled: ["scheduled for", (j) => (j.scheduled_for ? when(j.scheduled_for) : "—")],
  error: ["error", (j) => j.error ?? "", "wrap"]
}

function jobsTable(jobs, shown, actions) {
  if (jobs.length === 0) return h("p", { class: "muted", id: "empty" }, "No jobs.")
  const cols = shown.map((c) => columns[c])
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, cols.map(([heading]) => h("th", { scope: "col" }, heading)), actions ? h("th", { scope: "col" }, "actions") : undefined)),
    h("tbody", {}, jobs.map((j) => h("tr", { "data-id": j.id },
      cols.map(([, cell, cls]) => h("td", { class: cls }, cell(j))),
      actions ? h("td", {}, actions(j)) : undefined)))))
}

function localToIso(value) {
  if (!value) return undefined
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString()
}

function isoToLocal(iso) {
  if (!iso) return ""
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ""
  const pad = (n) => String(n).padStart(2, "0")
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

async function renderJobs(view, params) {
  const filter = {
    status: params.get("status") ?? "",
    priority: params.get("priority") ?? "",
    name: params.get("name") ?? "",
    from: params.get("from") ?? "",
    to: params.get("to") ?? "",
    limit: params.get("limit") ?? ""
  }
  const cursor = params.get("cursor") ?? ""
  const { value: page } = await call("GET", `jobs${query({ ...filter, cursor, limit: filter.limit || pageSize })}`)
  const link = (extra) => `#/jobs${query({ ...filter, ...extra })}`
  const tabs = h("nav", { class: "tabs", "aria-label": "Job states" },
    [["all", ""], ...statuses.map((s) => [s, s])].map(([label, value]) =>
      h("a", { href: link({ status: value }), "aria-current": filter.status === value ? "page" : undefined }, label)),
    h("a", { href: "#/processing" }, "processing"))
  const field = (label, control) => h("label", {}, label, control)
  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault()
    const data = new FormData(e.target)
    location.hash = `#/jobs${query({
      status: filter.status,
      priority: data.get("priority"),
      name: data.get("name").trim(),
      from: localToIso(data.get("from")),
      to: localToIso(data.get("to")),
      limit: filter.limit
    })}`
  } },
    field("Priority", h("select", { name: "priority" }, h("option", { value: "" }, "any"),
      priorities.map((p) => h("option", { value: p, selected: filter.priority === p }, p)))),
    field("Name", h("input", { name: "name", value: filter.name, placeholder: "exact name", autocomplete: "off" })),
    field("Created from", h("input", { name: "from", type: "datetime-local", value: isoToLocal(filter.from) })),
    field("Created before", h("input", { name: "to", type: "datetime-local", value: isoToLocal(filter.to) })),
    h("button", { type: "submit" }, "Apply"),
    h("a", { href: link({ priority: "", name: "", from: "", to: "" }) }, "Clear"))
  view(
    h("h1", {}, filter.status ? `Jobs · ${filter.status}` : "Jobs"),
    tabs,
    filter.status === "pending" ? h("p", { class: "muted" }, "Running jobs are listed here too: their stored status stays pending while a worker holds them.") : undefined,
    form,
    jobsTable(page.jobs, ["id", "name", "priority", "status", "attempts", "created", "scheduled", "error"]),
    pager(cursor !== "", page.cursor === undefined ? undefined : link({ cursor: page.cursor }))
  )
}

async function renderProcessing(view, params) {
  const offset = Number(params.get("offset") ?? 0) || 0
  let page
  try {
    page = (await call("GET", `processing${query({ offset, limit: pageSize })}`)).value
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 503)) throw err
    view(h("h1", {}, "Jobs · processing"), h("p", { class: "muted" }, err.message))
    return
  }
  const now = Date.now()
  const rows = page.entries.map(({ lease, job }) => h("tr", { "data-id": lease.id },
    h("td", {}, jobLink(lease.id)),
    h("td", {}, job ? job.name : h("span", { class: "muted" }, "data gone")),
    h("td", {}, job ? pill(job.priority, `p-${job.priority}`) : "—"),
    h("td", { class: "mono" }, lease.owner ?? h("span", { class: "muted" }, "unknown (no lease: a Go worker?)")),
    h("td", {}, lease.expiresAt ? when(lease.expiresAt) : "—"),
    h("td", {}, job ? h("time", { datetime: job.created_at, title: job.created_at }, span(now - Date.parse(job.created_at))) : "—"),
    h("td", { class: "num" }, job ? `${job.attempts}/${job.max_retries}` : "—")))
  const tabs = h("nav", { class: "tabs", "aria-label": "Job states" },
    [["all", ""], ...statuses.map((s) => [s, s])].map(([label, value]) => h("a", { href: `#/jobs${query({ status: value })}` }, label)),
    h("a", { href: "#/processing", "aria-current": "page" }, "processing"))
  view(
    h("h1", {}, "Jobs · processing"),
    tabs,
    h("p", { class: "muted" }, `${page.total.toLocaleString()} held by workers, most recently taken first; a lease is renewed while its job runs.`),
    page.entries.length === 0 ? h("p", { class: "muted", id: "empty" }, "No job is processing.") : h("div", { class: "scroll" }, h("table", { id: "processing" },
      h("thead", {}, h("tr", {}, ["id", "name", "priority", "lease owner", "lease expires", "age", "attempts"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows))),
    h("div", { class: "pager" },
      offset > 0 ? h("a", { href: `#/processing${query({ offset: Math.max(0, offset - pageSize) || undefined })}` }, "← Previous") : undefined,
      offset + page.entries.length < page.total ? h("a", { href: `#/processing${query({ offset: offset + pageSize })}`, id: "next-page" }, "Next page →") : h("span", { class: "muted" }, "End of list"))
  )
}

/** Paging by cursor: the next page's link, the first page's; Back goes to the previous. */
function pager(paged, nextHref) {
  return h("div", { class: "pager" },
    paged ? h("button", { type: "button", class: "ghost", onclick: () => history.back() }, "← Previous") : undefined,
    nextHref ? h("a", { href: nextHref, id: "next-page" }, "Next page →") : h("span", { class: "muted" }, "End of list"))
}

async function renderJob(view, id) {
  let job
  try {
    job = await call("GET", `jobs/${encodeURIComponent(id)}`)
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      view(h("h1", {}, "Job not found"), h("p", {}, "No job with the id ", h("code", {}, id), "."))
      return
    }
    throw err
  }
  let result
  try {
    result = await call("GET", `jobs/${encodeURIComponent(id)}/result`)
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err
  }
  const j = job.value
  const payload = member(job.text, "payload")
  // Only a queued job may be held (Go keeps a running job pending); a backend without the registry has no lease to show.
  const lease = j.status === "pending" ? await optional(call("GET", `jobs/${encodeURIComponent(id)}/lease`)) : undefined
  const traceId = typeof j.trace_context === "string" ? j.trace_context.split("-")[1] : undefined
  const field = (label, value) => [h("dt", {}, label), h("dd", {}, value)]
  const actions = []
  if (readOnly) {
    // no actions
  } else if (j.status === "pending" || j.status === "scheduled") {
    actions.push(h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmAction(`Cancel job ${j.id} (${j.name})? It will not run.`, "Cancel job"))) return
      await act(() => call("DELETE", `jobs/${encodeURIComponent(j.id)}`), `Cancelled ${j.id}`)
      route()
    } }, "Cancel job"))
  }
  if (!readOnly && j.status === "failed") {
    actions.push(h("button", { type: "button", onclick: async () => {
      if (!(await confirmAction(`Requeue dead job ${j.id} (${j.name})?`, "Requeue"))) return
      await act(() => call("POST", `dead/${encodeURIComponent(j.id)}/requeue`), `Requeued ${j.id}`)
      route()
    } }, "Requeue"))
  }
  view(
    h("h1", {}, "Job ", h("span", { class: "mono" }, j.id)),
    actions.length ? h("div", { class: "toolbar" }, actions) : undefined,
    h("dl", { class: "fields" },
      field("name", j.name),
      j.description ? field("description", j.description) : [],
      field("status", h("span", { class: `s-${j.status}` }, j.status || "—")),
      field("priority", pill(j.priority, `p-${j.priority}`)),
      field("attempts", `${j.attempts} of ${j.max_retries}`),
      field("created", when(j.created_at, true)),
      field("updated", when(j.updated_at, true)),
      j.scheduled_for ? field("scheduled for", when(j.scheduled_for, true)) : [],
      j.routing_key ? field("routing key", h("code", {}, j.routing_key)) : [],
      lease?.processing ? field("lease", h("span", { id: "lease" }, lease.owner
        ? ["held by ", h("a", { href: "#/workers", class: "mono" }, lease.owner), lease.expiresAt ? [", expires ", when(lease.expiresAt, true)] : []]
        : "held without a lease (a Go worker?)")) : [],
      traceId ? field("trace", traceLink
        ? h("a", { id: "trace", class: "mono", href: traceLink.replace("{traceId}", encodeURIComponent(traceId)), rel: "noopener noreferrer", target: "_blank" }, traceId)
        : h("code", { id: "trace" }, traceId)) : [],
      j.error ? field("last error", h("span", { class: "error" }, j.error)) : []),
    h("h2", { id: "payload-heading" }, "Payload"),
    payload === undefined ? h("p", { class: "muted" }, "none") : prettyJson(payload, "Payload"),
    h("h2", {}, "Result"),
    result === undefined ? h("p", { class: "muted", id: "no-result" }, "No result stored.") : prettyJson(result.text, "Result"),
    h("h2", {}, "Stored job"),
    h("details", {}, h("summary", {}, "Job JSON as the gateway returned it"), prettyJson(job.text, "Job JSON"))
  )
}

/** A span of time in words: "3 d 4 h", "2 h 5 min", "4 min 10 s", "12 s". */
function span(ms) {
  const s = Math.max(0, Math.floor(ms / 1000))
  const [d, hr, min] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)]
  if (d > 0) return `${d} d ${hr} h`
  if (hr > 0) return `${hr} h ${min} min`
  if (min > 0) return `${min} min ${s % 60} s`
  return `${s} s`
}

async function renderWorkers(view) {
  let list
  try {
    list = (await call("GET", "workers")).value
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 503)) throw err
    view(h("h1", {}, "Workers"), h("p", { class: "muted" }, err.message))
    return
  }
  const now = Date.now()
  const th = (text) => h("th", { scope: "col" }, text)
  const workers = list.workers.length === 0
    ? h("p", { class: "muted", id: "no-workers" }, "No worker has registered: none runs, or they run an SDK without the registry (see below).")
    : h("div", { class: "scroll" }, h("table", { id: "workers" },
      h("thead", {}, h("tr", {}, ["id", "host", "pid", "in flight", "serves", "uptime", "processed", "failed", "last heartbeat", "version"].map(th))),
      h("tbody", {}, list.workers.map((w) => h("tr", { "data-id": w.id },
        h("td", { class: "mono" }, w.id),
        h("td", {}, w.host),
        h("td", { class: "num" }, w.pid),
        h("td", { class: "num" }, `${w.inFlight} / ${w.concurrency}`),
        h("td", {}, w.priorities.flatMap((p, i) => [i > 0 ? " " : "", pill(p, `p-${p}`)]), w.routingKey ? [" route ", h("code", {}, w.routingKey)] : " default queues"),
        h("td", {}, h("time", { datetime: w.startedAt, title: `started ${w.startedAt}` }, span(now - Date.parse(w.startedAt)))),
        h("td", { class: "num" }, w.processed.toLocaleString()),
        h("td", { class: "num" }, w.failed.toLocaleString()),
        h("td", {}, when(w.beatAt)),
        h("td", {}, w.version))))))
  const unknown = list.unknown.length === 0 && list.unleased === 0 ? undefined : [
    h("h2", {}, "Unknown workers"),
    h("p", { class: "muted" }, `Holders of processing jobs that did not register (of the first ${list.processingRead} processing jobs read).`),
    h("div", { class: "scroll" }, h("table", { id: "unknown-workers" },
      h("thead", {}, h("tr", {}, ["holder", "jobs held", "what we know"].map(th))),
      h("tbody", {},
        list.unknown.map((u) => h("tr", { "data-owner": u.owner },
          h("td", { class: "mono" }, u.owner), h("td", { class: "num" }, u.jobs), h("td", {}, "unknown: leases jobs but never registered (an older SDK?)"))),
        list.unleased > 0 ? h("tr", { "data-owner": "" },
          h("td", {}, "—"), h("td", { class: "num" }, list.unleased), h("td", {}, "unknown: jobs with no lease, taken by workers that keep none (Go workers)")) : undefined)))
  ]
  view(
    h("h1", {}, "Workers"),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => route() }, "Refresh")),
    h("p", { class: "muted" }, `${list.workers.length} registered; each renews its registration every 10 s, and one silent for 30 s drops off.`),
    workers,
    unknown
  )
}

async function renderSchedules(view) {
  let list
  try {
    list = (await call("GET", "schedules")).value.schedules
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 503)) throw err
    view(h("h1", {}, "Schedules"), h("p", { class: "muted" }, err.message))
    return
  }
  const act1 = (s, verb, label, text) => h("button", { type: "button", class: verb === "run" ? undefined : "ghost", "aria-label": `${label} ${s.schedule.id}`, onclick: async () => {
    if (!(await confirmAction(text, label))) return
    const out = await act(() => call("POST", `schedules/${encodeURIComponent(s.schedule.id)}/${verb}`), verb === "run" ? `Ran ${s.schedule.id} now` : `${label}d ${s.schedule.id}`)
    if (out && verb === "run") toast(h("span", {}, "Enqueued job ", jobLink(out.value.id)))
    route()
  } }, label)
  const rows = list.map((s) => {
    const d = s.schedule
    const runs = s.state.run_count ?? "0"
    return h("tr", { "data-id": d.id },
      h("td", { class: "mono" }, d.id),
      h("td", {}, d.cron ? [h("code", {}, d.cron), d.timeZone && d.timeZone !== "UTC" ? ` (${d.timeZone})` : " (UTC)"] : `every ${span(d.every * 1000)}`),
      h("td", {}, d.job.name, " ", pill(d.job.priority ?? "normal", `p-${d.job.priority ?? "normal"}`)),
      h("td", {}, d.enabled ? "active" : h("span", { class: "muted" }, "paused")),
      h("td", {}, s.nextSlot === undefined ? "—" : when(new Date(s.nextSlot * 1000).toISOString())),
      h("td", {}, s.state.last_run ? when(s.state.last_run) : "never"),
      h("td", { class: "num" }, runs),
      readOnly ? undefined : h("td", { class: "actions" },
        act1(s, "run", "Run now", `Run schedule ${d.id} now? One "${d.job.name}" job is enqueued; its next slots are unchanged.`),
        " ",
        d.enabled
          ? act1(s, "pause", "Pause", `Pause schedule ${d.id}? No slot runs until it is resumed.`)
          : act1(s, "resume", "Resume", `Resume schedule ${d.id} from its next slot? Slots missed while paused are skipped.`)))
  })
  view(
    h("h1", {}, "Schedules"),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: () => route() }, "Refresh")),
    list.length === 0 ? h("p", { class: "muted", id: "empty" }, "No schedule stored.") : h("div", { class: "scroll" }, h("table", { id: "schedules" },
      h("thead", {}, h("tr", {}, ["id", "when", "job", "state", "next run", "last run", "runs", readOnly ? undefined : "actions"].filter(Boolean).map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)))
  )
}

async function act(work, done) {
  try {
    const out = await work()
    toast(done)
    return out
  } catch (err) {
    toast(`Failed: ${err.message}`, true)
    return undefined
  }
}

async function renderDead(view, params) {
  const cursor = params.get("cursor") ?? ""
  const { value: page } = await call("GET", `dead${query({ cursor, limit: pageSize })}`)
  const requeue = (j) => h("button", { type: "button", "aria-label": `Requeue ${j.id}`, onclick: async () => {
    if (!(await confirmAction(`Requeue dead job ${j.id} (${j.name})?`, "Requeue"))) return
    await act(() => call("POST", `dead/${encodeURIComponent(j.id)}/requeue`), `Requeued ${j.id}`)
    route()
  } }, "Requeue")
  view(
    h("h1", {}, "Dead letters"),
    h("div", { class: "toolbar" },
      readOnly ? undefined : h("button", { type: "button", id: "requeue-all", disabled: page.jobs.length === 0, onclick: requeueAll }, "Requeue all"),
      readOnly ? undefined : h("button", { type: "button", id: "purge", class: "danger", disabled: page.jobs.length === 0, onclick: purge }, "Purge all"),
      h("button", { type: "button", class: "ghost", onclick: () => route() }, "Refresh")),
    jobsTable(page.jobs, ["id", "name", "priority", "attempts", "updated", "error"], readOnly ? undefined : requeue),
    pager(cursor !== "", page.cursor === undefined ? undefined : `#/dead${query({ cursor: page.cursor })}`)
  )
}

/** Requeues every dead job, page by page from the start (bounded: each id is tried once). */
async function requeueAll() {
  const { value: stats } = await call("GET", "stats")
  if (!(await confirmAction(`Requeue all ${stats.dead} dead jobs?`, "Requeue all"))) return
  const tried = new Set()
  let requeued = 0
  let failed = 0
  for (let round = 0; round < 10_000; round++) {
    const { value: page } = await call("GET", `dead${query({ limit: 100 })}`)
    const fresh = page.jobs.filter((j) => !tried.has(j.id))
    if (fresh.length === 0) break
    for (const j of fresh) {
      tried.add(j.id)
      try {
        await call("POST", `dead/${encodeURIComponent(j.id)}/requeue`)
        requeued++
      } catch {
        failed++
      }
    }
  }
  toast(`Requeued ${requeued} dead jobs${failed ? `, ${failed} failed` : ""}`, failed > 0)
  route()
}

async function purge() {
  const { value: stats } = await call("GET", "stats")
  if (!(await confirmAction(`Delete all ${stats.dead} dead jobs, with their data and results? This cannot be undone.`, "Purge"))) return
  const out = await act(() => call("DELETE", "dead"), "Purged the dead letters")
  if (out) toast(`${out.value.purged} removed`)
  route()
}

function renderSubmit(view) {
  const status = h("p", { id: "payload-status", class: "hint", "aria-live": "polite" }, "")
  const payload = h("textarea", { id: "payload", name: "payload", rows: "10", spellcheck: "false", "aria-describedby": "payload-status" }, "{}")
  const check = () => {
    const text = payload.value.trim()
    try {
      if (text !== "") JSON.parse(text)
      status.textContent = text === "" ? "Empty: the payload will be null." : "Valid JSON: sent byte for byte."
      status.className = "hint"
      payload.removeAttribute("aria-invalid")
      return true
    } catch (err) {
      status.textContent = `Not JSON: ${err.message}`
      status.className = "hint error"
      payload.setAttribute("aria-invalid", "true")
      return false
    }
  }
  payload.addEventListener("input", check)
  const form = h("form", { class: "form", onsubmit: async (e) => {
    e.preventDefault()
    if (!check()) return payload.focus()
    const data = new FormData(e.target)
    const name = data.get("name").trim()
    const parts = [`"name":${JSON.stringify(name)}`, `"priority":${JSON.stringify(data.get("priority"))}`]
    const routingKey = data.get("routingKey").trim()
    if (routingKey) parts.push(`"routingKey":${JSON.stringify(routingKey)}`)
    const delay = Number(data.get("delay"))
    if (delay > 0) parts.push(`"delayMillis":${Math.round(delay * 1000)}`)
    const text = payload.value.trim()
    // The payload's own text, never re-encoded: its numbers reach the job as typed.
    if (text !== "") parts.push(`"payload":${text}`)
    if (!(await confirmAction(`Submit a ${data.get("priority")} job "${name}"?`, "Submit"))) return
    const out = await act(() => call("POST", "jobs", `{${parts.join(",")}}`), `Submitted ${name}`)
    if (out) location.hash = `#/job/${encodeURIComponent(out.value.id)}`
  } },
    h("h1", {}, "Submit a job"),
    h("label", {}, "Name", h("input", { name: "name", required: true, autocomplete: "off", spellcheck: "false" })),
    h("label", {}, "Priority", h("select", { name: "priority" }, priorities.map((p) => h("option", { value: p, selected: p === "normal" }, p)))),
    h("label", {}, "Routing key ", h("span", { class: "hint" }, "optional"), h("input", { name: "routingKey", autocomplete: "off", pattern: "[A-Za-z0-9_\\-]{1,64}" })),
    h("label", {}, "Delay in seconds ", h("span", { class: "hint" }, "optional: schedules the job"), h("input", { name: "delay", type: "number", min: "0", step: "any" })),
    h("label", { for: "payload" }, "Payload (JSON)"),
    payload,
    status,
    h("div", {}, h("button", { type: "submit" }, "Submit job")))
  view(form)
  check()
}

// --- routing -------------------------------------------------------------------------

/** Counts navigations (see `route`). */
let generation = 0

/** Draws the view of the URL's hash; `snapshot`: the live feed's token when it reloads for a change. */
async function route(snapshot) {
  if (sessionStorage.getItem(keyName) === null) return renderLogin()
  const hash = location.hash.slice(1) || "/overview"
  const [path, search = ""] = hash.split("?")
  const params = new URLSearchParams(search)
  const name = path.split("/")[1]
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.view === name || ((name === "job" || name === "processing") && a.dataset.view === "jobs")) a.setAttribute("aria-current", "page")
    else a.removeAttribute("aria-current")
  }
  // Only the latest navigation may draw: an earlier one still loading is dropped.
  const mine = ++generation
  const view = (...nodes) => {
    if (mine === generation) show(...nodes)
  }
  try {
    if (name === "jobs") await renderJobs(view, params)
    else if (name === "job") await renderJob(view, decodeURIComponent(path.slice("/job/".length)))
    else if (name === "dead") await renderDead(view, params)
    else if (name === "workers") await renderWorkers(view)
    else if (name === "processing") await renderProcessing(view, params)
    else if (name === "schedules") await renderSchedules(view)
    else if (name === "submit" && !readOnly) renderSubmit(view)
    else await renderOverview(view, snapshot)
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return
    view(h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, err.message),
      h("button", { type: "button", onclick: () => route() }, "Retry"))
  }
}

// --- live updates ------------------------------------------------------------------

/** The open event stream (aborted on logout). */
let live

/**
 * Listens to the gateway's `/ui/events` (a fetch, so the key goes in a header, never in
 * the URL): on `change` (at most every 2 s, to every tab at once), the list or overview
 * on screen reloads at once (the overview naming the change's snapshot, so the open tabs
 * share the gateway's reads), one reload at a time, never under an open dialog or while
 * a form field has the focus. Reconnects after 5 s.
 */
function listen() {
  live?.abort()
  const controller = new AbortController()
  live = controller
  const indicator = document.getElementById("live")
  let reloading = false
  let next
  const refresh = (snapshot) => {
    const name = (location.hash.slice(2) || "overview").split(/[/?]/)[0]
    const busy = document.getElementById("confirm").open || document.activeElement?.closest("form:not(#find)")
    if (!["overview", "jobs", "dead", "workers", "processing", "schedules"].includes(name) || busy) return
    if (reloading) {
      next = snapshot
      return
    }
    reloading = true
    route(snapshot).finally(() => {
      reloading = false
      if (next !== undefined && live === controller) refresh(next)
      next = undefined
    })
  }
  const run = async () => {
    const response = await fetch(eventsUrl, {
      headers: { authorization: `Bearer ${sessionStorage.getItem(keyName) ?? ""}`, accept: "text/event-stream" },
      cache: "no-store",
      credentials: "omit",
      signal: controller.signal
    })
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`)
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ""
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += value
      let end
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event === "live") {
          indicator.hidden = false
          indicator.textContent = data === "on" ? "live" : "live updates off"
          if (data !== "on") return "off"
        } else if (event === "change") {
          let snapshot
          try {
            snapshot = JSON.parse(data ?? "{}").snapshot
          } catch {
            snapshot = undefined
          }
          refresh(typeof snapshot === "string" ? snapshot : "")
        }
      }
    }
  }
  run().then((outcome) => outcome === "off" ? undefined : Promise.reject(new Error("ended")))
    .catch(() => {
      if (controller.signal.aborted) return
      indicator.textContent = "reconnecting…"
      setTimeout(() => live === controller && listen(), 5000)
    })
}

/** Asks the gateway who the key is, then shows the views (the actions only to a key that may act). */
async function startApp() {
  const { value: session } = await call("GET", sessionUrl.href, undefined, sessionUrl)
  readOnly = session.readOnly
  traceLink = session.traceLink ?? null
  for (const id of ["nav", "find", "logout"]) document.getElementById(id).hidden = false
  document.querySelector('#nav a[data-view="submit"]').hidden = readOnly
  const badge = document.getElementById("scope")
  badge.hidden = !readOnly
  badge.textContent = readOnly ? `read-only key ${session.keyId}` : ""
  listen()
  await route()
}

document.addEventListener("DOMContentLoaded", () => {
  window.addEventListener("hashchange", () => route())
  document.getElementById("find").addEventListener("submit", (e) => {
    e.preventDefault()
    const input = document.getElementById("find-id")
    const id = input.value.trim()
    if (id !== "") location.hash = `#/job/${encodeURIComponent(id)}`
    input.value = ""
  })
  document.getElementById("logout").addEventListener("click", () => {
    sessionStorage.removeItem(keyName)
    renderLogin("Logged out.")
  })
  // "/" jumps to find-by-id, as in most consoles.
  document.addEventListener("keydown", (e) => {
    const typing = e.target instanceof HTMLElement && e.target.closest("input, textarea, select, dialog")
    if (e.key === "/" && !typing && !document.getElementById("find").hidden) {
      e.preventDefault()
      document.getElementById("find-id").focus()
    }
  })
  if (sessionStorage.getItem(keyName) === null) renderLogin()
  else startApp().catch((err) => {
    // A refused key has already brought the login form back, saying so.
    if (!(err instanceof ApiError && err.status === 401)) renderLogin(`The gateway did not answer: ${err.message}`)
  })
})
