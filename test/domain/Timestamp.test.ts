import { assert, describe, it } from "@effect/vitest"
import * as Timestamp from "../../src/domain/Timestamp.ts"

// 2025-01-15T10:30:00Z
const BASE = 1736937000

describe("Timestamp.parse", () => {
  it("reads every fractional length from 0 to 12 digits (digits past nine dropped)", () => {
    const digits = "123456789012"
    for (let n = 0; n <= 12; n++) {
      const frac = n === 0 ? "" : "." + digits.slice(0, n)
      const t = Timestamp.parse(`2025-01-15T10:30:00${frac}Z`)
      assert.isDefined(t, `fraction of ${n} digits`)
      const expected = n === 0 ? 0 : Number(digits.slice(0, Math.min(n, 9)).padEnd(9, "0"))
      assert.deepStrictEqual(t, { seconds: BASE, nanos: expected, offsetSeconds: 0 }, `fraction of ${n} digits`)
    }
  })

  it("drops a long run of nines past the ninth digit instead of rounding it up", () => {
    const t = Timestamp.parse(`2025-01-15T10:30:00.${"9".repeat(30)}Z`)
    assert.deepStrictEqual(t, { seconds: BASE, nanos: 999_999_999, offsetSeconds: 0 })
    assert.deepStrictEqual(Timestamp.parse(`2025-01-15T10:30:00.${"9".repeat(30)}+01:00`), { seconds: BASE - 3600, nanos: 999_999_999, offsetSeconds: 3600 })
  })

  it("rejects a malformed fraction, offset or digit in the common form", () => {
    for (const text of ["2025-01-15T10:30:00.Z", "2025-01-15T10:30:00.1", "2025-01-15T10:30:00+0100", "2025-01-15T10:30:00*01:00",
      "2025-01-15T10:30:0xZ", "2025-01-15T10:30:00+01:0x", "2025-01-15T10:30:00ZZ", "2025-01-15T24:00:00Z", "2025-01-15T10:30:00.1x+01:00"]) {
      assert.isUndefined(Timestamp.parse(text), text)
    }
  })

  it("reads offsets east and west of UTC, and Z", () => {
    assert.deepStrictEqual(Timestamp.parse("2025-01-15T15:30:00+05:00"), { seconds: BASE, nanos: 0, offsetSeconds: 18000 })
    assert.deepStrictEqual(Timestamp.parse("2025-01-15T06:60:00-03:30"), undefined) // minute 60
    assert.deepStrictEqual(Timestamp.parse("2025-01-15T07:00:00-03:30"), { seconds: BASE, nanos: 0, offsetSeconds: -12600 })
    assert.deepStrictEqual(Timestamp.parse("2025-01-15T10:30:00Z"), { seconds: BASE, nanos: 0, offsetSeconds: 0 })
    assert.deepStrictEqual(Timestamp.parse("2025-01-15T10:30:00+00:00"), { seconds: BASE, nanos: 0, offsetSeconds: 0 })
  })

  it("reads the offset across a day boundary", () => {
    // 2025-01-16T02:00:00+05:00 is 2025-01-15T21:00:00Z
    assert.strictEqual(Timestamp.parse("2025-01-16T02:00:00+05:00")?.seconds, BASE + 10.5 * 3600)
  })

  it("reads Go's zero time", () => {
    const t = Timestamp.parse("0001-01-01T00:00:00Z")
    assert.deepStrictEqual(t, Timestamp.zero)
    assert.isTrue(t !== undefined && Timestamp.isZero(t))
    assert.isFalse(Timestamp.isZero({ seconds: BASE, nanos: 0, offsetSeconds: 0 }))
  })

  it("reads 29 February in a leap year only", () => {
    assert.isDefined(Timestamp.parse("2024-02-29T00:00:00Z"))
    assert.isUndefined(Timestamp.parse("2025-02-29T00:00:00Z"))
  })

  it("rejects what Go's time.Time.UnmarshalJSON rejects", () => {
    const rejected = [
      "", // empty
      "2025-01-15T10:30:00", // no offset
      "2025-01-15 10:30:00Z", // a space instead of T
      "2025-01-15t10:30:00Z", // lowercase t
      "2025-01-15T10:30Z", // no seconds
      "2025-01-15T10:30:00.Z", // a dot without digits
      "2025-01-15T10:30:00,5Z", // comma separator
      "2025-01-15T10:30:00+0500", // offset without colon
      "2025-01-15T10:30:00+05", // offset without minutes
      "2025-01-15T10:30:00+24:00", // offset hour out of range
      "2025-01-15T10:30:00+05:60", // offset minute out of range
      "2025-13-15T10:30:00Z", // month 13
      "2025-00-15T10:30:00Z", // month 0
      "2025-01-32T10:30:00Z", // day 32
      "2025-01-00T10:30:00Z", // day 0
      "2025-04-31T10:30:00Z", // 31 April
      "2025-01-15T24:00:00Z", // hour 24
      "2025-01-15T10:30:60Z", // second 60
      "2025-1-15T10:30:00Z", // one-digit month
      "2025-01-15T1:30:00Z", // one-digit hour
      " 2025-01-15T10:30:00Z", // leading space
      "2025-01-15T10:30:00Z " // trailing space
    ]
    for (const text of rejected) assert.isUndefined(Timestamp.parse(text), JSON.stringify(text))
  })
})

describe("Timestamp.format", () => {
  const at = (nanos: number, offsetSeconds = 0): Timestamp.Timestamp => ({ seconds: BASE, nanos, offsetSeconds })

  it("trims trailing fraction zeros exactly as Go's RFC3339Nano", () => {
    assert.strictEqual(Timestamp.format(at(123456789)), "2025-01-15T10:30:00.123456789Z")
    assert.strictEqual(Timestamp.format(at(120000000)), "2025-01-15T10:30:00.12Z")
    assert.strictEqual(Timestamp.format(at(0)), "2025-01-15T10:30:00Z")
    assert.strictEqual(Timestamp.format(at(100)), "2025-01-15T10:30:00.0000001Z")
    assert.strictEqual(Timestamp.format(at(500000000)), "2025-01-15T10:30:00.5Z")
    assert.strictEqual(Timestamp.format(at(1)), "2025-01-15T10:30:00.000000001Z")
  })

  it("renders in the stored offset", () => {
    assert.strictEqual(Timestamp.format(at(123456789, 18000)), "2025-01-15T15:30:00.123456789+05:00")
    assert.strictEqual(Timestamp.format(at(0, -12600)), "2025-01-15T07:00:00-03:30")
  })

  it("writes +00:00 (and -00:00) back as Z", () => {
    assert.strictEqual(Timestamp.format(Timestamp.parse("2025-01-15T10:30:00.123456+00:00")!), "2025-01-15T10:30:00.123456Z")
    assert.strictEqual(Timestamp.format(Timestamp.parse("2025-01-15T10:30:00-00:00")!), "2025-01-15T10:30:00Z")
  })

  it("writes Go's zero time", () => {
    assert.strictEqual(Timestamp.format(Timestamp.zero), "0001-01-01T00:00:00Z")
  })

  it("round-trips every parsed form except trimmed zeros and +00:00", () => {
    const texts = [
      "2025-01-15T15:30:00.123456789+05:00",
      "2025-01-15T10:30:05.250012Z",
      "2025-01-15T10:30:07.250003Z",
      "1999-12-31T23:59:59.999999999-09:30",
      "0001-01-01T00:00:00Z",
      "2038-01-19T03:14:08+14:00",
      "1969-12-31T23:59:59.5Z"
    ]
    for (const text of texts) assert.strictEqual(Timestamp.format(Timestamp.parse(text)!), text)
    assert.strictEqual(Timestamp.format(Timestamp.parse("2025-01-15T10:30:00.000Z")!), "2025-01-15T10:30:00Z")
    assert.strictEqual(Timestamp.format(Timestamp.parse("2025-01-15T10:30:00.500Z")!), "2025-01-15T10:30:00.5Z")
  })

  it("formatSeconds drops the fraction (Go's RFC3339, for completed_at)", () => {
    assert.strictEqual(Timestamp.formatSeconds(at(999999999)), "2025-01-15T10:30:00Z")
    assert.strictEqual(Timestamp.formatSeconds(at(5, 18000)), "2025-01-15T15:30:00+05:00")
  })
})

describe("Timestamp conversions", () => {
  it("converts to and from milliseconds and Dates (sub-millisecond digits truncated)", () => {
    const t = Timestamp.fromMillis(BASE * 1000 + 500)
    assert.deepStrictEqual(t, { seconds: BASE, nanos: 500_000_000, offsetSeconds: 0 })
    assert.strictEqual(Timestamp.toMillis({ seconds: BASE, nanos: 123_999_999, offsetSeconds: 3600 }), BASE * 1000 + 123)
    assert.strictEqual(Timestamp.toDate(t).toISOString(), "2025-01-15T10:30:00.500Z")
    assert.deepStrictEqual(Timestamp.fromDate(new Date("2025-01-15T10:30:00.250Z")), { seconds: BASE, nanos: 250_000_000, offsetSeconds: 0 })
    assert.deepStrictEqual(Timestamp.fromMillis(-1), { seconds: -1, nanos: 999_000_000, offsetSeconds: 0 })
  })

  it("scores in unix seconds (float, never milliseconds)", () => {
    assert.strictEqual(Timestamp.toUnixSeconds(Timestamp.parse("2025-01-15T11:00:00.500Z")!), 1736938800.5)
    assert.strictEqual(Timestamp.toUnixSeconds(Timestamp.parse("2025-01-15T10:30:07.250003Z")!) | 0, 1736937007)
  })

  it("orders instants regardless of offset, and adds seconds", () => {
    const a = Timestamp.parse("2025-01-15T15:30:00.1+05:00")!
    const b = Timestamp.parse("2025-01-15T10:30:00.1Z")!
    const c = Timestamp.parse("2025-01-15T10:30:00.2Z")!
    assert.strictEqual(Timestamp.compare(a, b), 0)
    assert.strictEqual(Timestamp.compare(b, c), -1)
    assert.strictEqual(Timestamp.compare(c, a), 1)
    assert.strictEqual(Timestamp.compare(Timestamp.addSeconds(a, 1), c), 1)
    assert.strictEqual(Timestamp.format(Timestamp.addSeconds(a, 2)), "2025-01-15T15:30:02.1+05:00")
  })
})
