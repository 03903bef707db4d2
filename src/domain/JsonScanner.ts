/**
 * A strict JSON scanner that splits an object into its members, keeping each
 * value's exact text. Used to read job JSON without altering payload bytes;
 * error messages follow Go's `encoding/json` where the protocol records them.
 *
 * @since 0.1.0
 */

/**
 * One member of a scanned object: the decoded key and the raw text of the
 * value, with the kind of that value as Go names it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Member {
  readonly key: string
  readonly raw: string
  readonly kind: "string" | "number" | "bool" | "null" | "array" | "object"
}

/**
 * Scans `text` as one JSON value. Returns the members of a top-level object,
 * the kind of any other top-level value, or Go's syntax error message.
 *
 * @category parsing
 * @since 0.1.0
 */
export const scanObject = (
  text: string
): { readonly members: ReadonlyArray<Member> } | { readonly kind: Member["kind"] } | { readonly error: string } => {
  const s = new Scanner(text)
  try {
    s.ws()
    if (s.peek() !== "{") {
      const kind = s.value()
      s.ws()
      if (s.i < text.length) s.fail()
      return { kind }
    }
    const members: Array<Member> = []
    s.i++
    s.ws()
    if (s.peek() === "}") {
      s.i++
    } else {
      for (;;) {
        s.ws()
        if (s.peek() !== "\"") s.fail("looking for beginning of object key string")
        const ks = s.i
        // Without an escape the key is the text between the quotes (as `unquote`).
        const key = s.string() ? JSON.parse(text.slice(ks, s.i)) as string : text.slice(ks + 1, s.i - 1)
        s.ws()
        if (s.peek() !== ":") s.fail("after object key")
        s.i++
        s.ws()
        const vs = s.i
        const kind = s.value(1)
        members.push({ key, raw: text.slice(vs, s.i), kind })
        s.ws()
        const c = s.peek()
        if (c === ",") { s.i++; continue }
        if (c === "}") { s.i++; break }
        s.fail("after object key:value pair")
      }
    }
    s.ws()
    if (s.i < text.length) s.fail("after top-level value")
    return { members }
  } catch (e) {
    if (e instanceof SyntaxFailure) return { error: e.message }
    throw e
  }
}

/**
 * The deepest nesting Go's `encoding/json` (and this scanner) reads: the
 * job object is level 1, so a payload may nest 9,999 levels. Deeper text
 * fails with Go's `exceeded max depth`.
 *
 * @category constants
 * @since 0.2.0
 */
export const maxNestingDepth = 10_000

/**
 * The last member named `key` (as `JSON.parse` keeps the last of duplicate
 * keys), if any.
 *
 * @category accessors
 * @since 0.2.0
 */
export const memberOf = (members: ReadonlyArray<Member>, key: string): Member | undefined => members.findLast((m) => m.key === key)

/**
 * The string a member holds, if it holds one.
 *
 * @category accessors
 * @since 0.2.0
 */
export const stringOf = (member: Member | undefined): string | undefined =>
  member?.kind === "string" ? (JSON.parse(member.raw) as string) : undefined

/**
 * Scans `text` as one JSON array: the exact text of each element (its
 * kind beside it), the kind of any other top-level value, or Go's syntax
 * error message.
 *
 * @category parsing
 * @since 0.2.0
 */
export const scanArray = (
  text: string
): { readonly elements: ReadonlyArray<Omit<Member, "key">> } | { readonly kind: Member["kind"] } | { readonly error: string } => {
  const s = new Scanner(text)
  try {
    s.ws()
    if (s.peek() !== "[") {
      const kind = s.value()
      s.ws()
      if (s.i < text.length) s.fail()
      return { kind }
    }
    const elements: Array<Omit<Member, "key">> = []
    s.i++
    s.ws()
    if (s.peek() === "]") {
      s.i++
    } else {
      for (;;) {
        s.ws()
        const vs = s.i
        const kind = s.value()
        elements.push({ raw: text.slice(vs, s.i), kind })
        s.ws()
        const c = s.peek()
        if (c === ",") { s.i++; continue }
        if (c === "]") { s.i++; break }
        s.fail("after array element")
      }
    }
    s.ws()
    if (s.i < text.length) s.fail("after top-level value")
    return { elements }
  } catch (e) {
    if (e instanceof SyntaxFailure) return { error: e.message }
    if (e instanceof RangeError) return { error: "exceeded max depth" }
    throw e
  }
}

/**
 * The value of a JSON string literal that `scanObject` accepted (its raw
 * text, quotes included). Without a backslash the text between the quotes
 * is the value (the scanner rejected control characters): no `JSON.parse`.
 *
 * @category parsing
 * @since 0.2.0
 */
export const unquote = (raw: string): string => (raw.indexOf("\\") < 0 ? raw.slice(1, -1) : (JSON.parse(raw) as string))

// Internal

class SyntaxFailure extends Error {}

class Scanner {
  i = 0
  readonly t: string
  constructor(t: string) {
    this.t = t
  }
  peek(): string | undefined {
    return this.t[this.i]
  }
  fail(context = "looking for beginning of value"): never {
    if (this.i >= this.t.length) throw new SyntaxFailure("unexpected end of JSON input")
    throw new SyntaxFailure(`invalid character ${goChar(String.fromCodePoint(this.t.codePointAt(this.i)!))} ${context}`)
  }
  ws(): void {
    while (this.i < this.t.length) {
      const c = this.t.charCodeAt(this.i)
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++
      else break
    }
  }
  /** Skips one value; `outside` containers enclose it (the job object is level 1). */
  value(outside = 0): Member["kind"] {
    const c = this.peek()
    switch (c) {
      case "{": this.skipContainer(outside); return "object"
      case "[": this.skipContainer(outside); return "array"
      case "\"": this.string(); return "string"
      case "t": this.literal("true"); return "bool"
      case "f": this.literal("false"); return "bool"
      case "n": this.literal("null"); return "null"
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) { this.number(); return "number" }
        return this.fail()
    }
  }
  literal(word: string): void {
    for (const ch of word) {
      if (this.t[this.i] !== ch) this.fail(`in literal ${word} (expecting '${ch}')`)
      this.i++
    }
  }
  /**
   * Skips a JSON number at `i`: the longest text `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
   * matches there (a fraction or exponent without digits is left unread, for the caller to reject).
   */
  number(): void {
    const t = this.t
    let i = this.i
    if (t.charCodeAt(i) === 45) i++ // -
    const first = t.charCodeAt(i)
    if (!(first >= 48 && first <= 57)) { this.i++; this.fail("in numeric literal") }
    i++
    if (first !== 48) while (isDigit(t.charCodeAt(i))) i++
    if (t.charCodeAt(i) === 46 && isDigit(t.charCodeAt(i + 1))) { // .
      i += 2
      while (isDigit(t.charCodeAt(i))) i++
    }
    const e = t.charCodeAt(i)
    if (e === 101 || e === 69) { // e E
      const sign = t.charCodeAt(i + 1)
      const digitsAt = sign === 43 || sign === 45 ? i + 2 : i + 1
      if (isDigit(t.charCodeAt(digitsAt))) {
        i = digitsAt + 1
        while (isDigit(t.charCodeAt(i))) i++
      }
    }
    this.i = i
  }
  /** Skips a string literal at `i`; true when it holds an escape. */
  string(): boolean {
    this.i++ // opening quote
    let escaped = false
    for (;;) {
      if (this.i >= this.t.length) this.fail()
      const c = this.t.charCodeAt(this.i)
      if (c === 34) { this.i++; return escaped }
      if (c < 0x20) this.fail("in string literal")
      if (c === 92) {
        escaped = true
        const e = this.t[this.i + 1]
        if (e === "u") {
          this.i += 2
          for (let k = 0; k < 4; k++, this.i++) {
            if (!/[0-9a-fA-F]/.test(this.t[this.i] ?? "")) this.fail("in \\u hexadecimal character escape")
          }
        } else if (e !== undefined && "\"\\/bfnrt".includes(e)) {
          this.i += 2
        } else {
          this.i++
          this.fail("in string escape code")
        }
      } else {
        this.i++
      }
    }
  }
  /**
   * Skips the object or array at `i`, enclosed by `outside` containers,
   * without recursion (so the depth is Go's limit, not the call stack's):
   * `stack` holds the closing character of every container still open.
   */
  skipContainer(outside: number): void {
    const stack: Array<"}" | "]"> = []
    const enter = (): boolean => {
      if (outside + stack.length + 1 > maxNestingDepth) throw new SyntaxFailure("exceeded max depth")
      const close = this.t[this.i] === "{" ? "}" : "]"
      this.i++
      this.ws()
      if (this.peek() === close) {
        this.i++
        return false // empty: closed at once
      }
      stack.push(close)
      return true
    }
    if (!enter()) return
    for (;;) {
      // At an element of the innermost open container.
      this.ws()
      if (stack[stack.length - 1] === "}") {
        if (this.peek() !== "\"") this.fail("looking for beginning of object key string")
        this.string()
        this.ws()
        if (this.peek() !== ":") this.fail("after object key")
        this.i++
        this.ws()
      }
      const c = this.peek()
      if (c === "{" || c === "[") {
        if (enter()) continue
      } else {
        this.value()
      }
      // After a value: a comma, or the end of one or more containers.
      for (;;) {
        this.ws()
        const close = stack[stack.length - 1]!
        const next = this.peek()
        if (next === ",") {
          this.i++
          break
        }
        if (next !== close) this.fail(close === "}" ? "after object key:value pair" : "after array element")
        this.i++
        stack.pop()
        if (stack.length === 0) return
      }
    }
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57

// Go's quoteChar: strconv.Quote of the character inside single quotes.
const goChar = (c: string): string => {
  if (c === "'") return "'\\''"
  if (c === "\"") return "'\"'"
  const code = c.charCodeAt(0)
  if (code < 0x20 || code === 0x7f) {
    const short = GO_SHORT_ESCAPES[c]
    return `'${short ?? "\\x" + code.toString(16).padStart(2, "0")}'`
  }
  return `'${c}'`
}

const GO_SHORT_ESCAPES: Record<string, string> = {
  "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"
}
