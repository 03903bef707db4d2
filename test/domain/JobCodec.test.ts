import { assert, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
import type { Job } from "../../src/domain/Job.ts"
import * as JobCodec from "../../src/domain/JobCodec.ts"
import { scanObject } from "../../src/domain/JsonScanner.ts"
import * as Timestamp from "../../src/domain/Timestamp.ts"
import * as Wire from "../../src/protocol/Wire.ts"

const decoded = (text: string): Job => {
  const r = JobCodec.decode(text)
  if (Result.isFailure(r)) assert.fail(`expected the job to decode, got: ${r.failure.message}`)
  return r.success
}

const decodeError = (text: string): string => {
  const r = JobCodec.decode(text)
  if (Result.isSuccess(r)) assert.fail(`expected a decode failure for ${text}`)
  assert.strictEqual(r.failure._tag, "SerializationError")
  return r.failure.message
}

const roundTrip = (text: string): string => JobCodec.encode(decoded(text))

// docs/PROTOCOL.md §6, vector 1 (Go SubmitJob, TZ=Asia/Karachi)
const V1 =
  `{"id":"J","name":"send_email","payload":{"subject":"Hi \\u003c3","to":"a@b.c"},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T15:30:00.123456789+05:00","attempts":0,"max_retries":3}`

// vector 3 (first failure, worker in UTC)
const V3 =
  `{"id":"J","name":"send_email","payload":{"subject":"Hi \\u003c3","to":"a@b.c"},"status":"pending","priority":"high","created_at":"2025-01-15T15:30:00.123456789+05:00","updated_at":"2025-01-15T10:30:05.250012Z","scheduled_for":"2025-01-15T10:30:07.250003Z","attempts":1,"max_retries":3,"error":"smtp: timeout"}`

// vector 10 (TS SDK scheduled job) and Go's promoted form of it
const V10 =
  `{"id":"S","name":"report","description":"","payload":{"k":1},"status":"scheduled","priority":"normal","created_at":"2025-01-15T10:30:00.000Z","updated_at":"2025-01-15T10:30:00.000Z","attempts":0,"max_retries":3,"error":"","routing_key":"","scheduled_for":"2025-01-15T11:00:00.500Z"}`
const V10_GO_PROMOTED =
  `{"id":"S","name":"report","payload":{"k":1},"status":"scheduled","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","attempts":0,"max_retries":3}`

// vector 12 (Go cron scheduler, job built without NewJob)
const V12 =
  `{"id":"","name":"cleanup","description":"Scheduled job: cleanup (schedule: hourly)","payload":null,"status":"","priority":"normal","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`

// vector 9's stored data and Go's error for it
const V9 = `{"id":"B","attempts":"1"}`
const V9_ERROR = "json: cannot unmarshal string into Go struct field Job.attempts of type int"

describe("JobCodec: docs/PROTOCOL.md §6 vectors", () => {
  it("vector 1 decodes and re-encodes to the exact same bytes", () => {
    const job = decoded(V1)
    assert.strictEqual(job.id, "J")
    assert.strictEqual(job.name, "send_email")
    assert.strictEqual(job.status, "pending")
    assert.strictEqual(job.priority, "high")
    assert.strictEqual(job.payload, `{"subject":"Hi \\u003c3","to":"a@b.c"}`)
    assert.deepStrictEqual(job.createdAt, { seconds: 1736937000, nanos: 123456789, offsetSeconds: 18000 })
    assert.strictEqual(job.attempts, 0)
    assert.strictEqual(job.maxRetries, 3)
    assert.isUndefined(job.description)
    assert.isUndefined(job.error)
    assert.isUndefined(job.scheduledFor)
    assert.isUndefined(job.routingKey)
    assert.strictEqual(JobCodec.encode(job), V1)
  })

  it("vector 1 as Route-Go writes it keeps routing_key last", () => {
    const routed = V1.slice(0, -1) + `,"routing_key":"default"}`
    assert.strictEqual(decoded(routed).routingKey, "default")
    assert.strictEqual(roundTrip(routed), routed)
  })

  it("vector 2: payload bytes survive decode + encode unchanged", () => {
    const payload = `{"order_id":12345678901234567890,"amt":1.10,"10":"x","2":"y"}`
    const text = V1.replace(`{"subject":"Hi \\u003c3","to":"a@b.c"}`, payload)
    assert.strictEqual(decoded(text).payload, payload)
    assert.strictEqual(roundTrip(text), text)
    assert.include(roundTrip(text), `"payload":${payload},`)
  })

  it("vector 3: mixed offsets and 6-digit fractions round-trip exactly", () => {
    const job = decoded(V3)
    assert.strictEqual(job.attempts, 1)
    assert.strictEqual(job.error, "smtp: timeout")
    assert.deepStrictEqual(job.updatedAt, { seconds: 1736937005, nanos: 250012000, offsetSeconds: 0 })
    assert.deepStrictEqual(job.scheduledFor, { seconds: 1736937007, nanos: 250003000, offsetSeconds: 0 })
    assert.strictEqual(Math.floor(Timestamp.toUnixSeconds(job.scheduledFor!)), 1736937007) // the ZADD score
    assert.strictEqual(JobCodec.encode(job), V3)
  })

  it("vector 5: promotion (vector 3 minus scheduled_for) encodes as Go's", () => {
    const { scheduledFor: _, ...promoted } = decoded(V3)
    assert.strictEqual(JobCodec.encode(promoted), V3.replace(`"scheduled_for":"2025-01-15T10:30:07.250003Z",`, ""))
  })

  it("vector 10: the TS SDK shape re-encodes in Go's form, keeping routing_key as Route-Go does", () => {
    const job = decoded(V10)
    assert.isUndefined(job.description) // "" is omitted, as Go's omitempty
    assert.isUndefined(job.error)
    assert.strictEqual(job.routingKey, "")
    assert.deepStrictEqual(job.scheduledFor, { seconds: 1736938800, nanos: 500000000, offsetSeconds: 0 })
    assert.strictEqual(Timestamp.toUnixSeconds(job.scheduledFor!), 1736938800.5)
    assert.strictEqual(
      JobCodec.encode(job),
      `{"id":"S","name":"report","payload":{"k":1},"status":"scheduled","priority":"normal","created_at":"2025-01-15T10:30:00Z","updated_at":"2025-01-15T10:30:00Z","scheduled_for":"2025-01-15T11:00:00.5Z","attempts":0,"max_retries":3,"routing_key":""}`
    )
    const { scheduledFor: _, ...promoted } = job
    assert.strictEqual(JobCodec.encode(promoted), V10_GO_PROMOTED.slice(0, -1) + `,"routing_key":""}`)
    const { routingKey: __, ...baseline } = promoted
    assert.strictEqual(JobCodec.encode(baseline), V10_GO_PROMOTED)
  })

  it("vector 11: a Python job (spaces, +00:00, 6 digits) decodes; Go's form on re-encode", () => {
    const py =
      `{"id": "P", "name": "py_job", "description": "", "payload": {"x": 1, "y": [1, 2]}, "status": "pending", "priority": "low", "created_at": "2025-01-15T10:30:00.123456+00:00", "updated_at": "2025-01-15T10:30:00.123456+00:00", "attempts": 0, "max_retries": 3, "error": "", "routing_key": ""}`
    const job = decoded(py)
    assert.strictEqual(job.priority, "low")
    assert.strictEqual(job.payload, `{"x": 1, "y": [1, 2]}`) // whitespace inside the payload is kept
    assert.strictEqual(Timestamp.format(job.createdAt), "2025-01-15T10:30:00.123456Z")
    assert.strictEqual(
      JobCodec.encode(job),
      `{"id":"P","name":"py_job","payload":{"x": 1, "y": [1, 2]},"status":"pending","priority":"low","created_at":"2025-01-15T10:30:00.123456Z","updated_at":"2025-01-15T10:30:00.123456Z","attempts":0,"max_retries":3,"routing_key":""}`
    )
  })

  it("vector 12: a cron job (id \"\", status \"\", zero times, max_retries 0, payload null) round-trips", () => {
    const job = decoded(V12)
    assert.strictEqual(job.id, "")
    assert.strictEqual(job.status, "")
    assert.strictEqual(job.payload, "null")
    assert.strictEqual(job.maxRetries, 0)
    assert.isTrue(Timestamp.isZero(job.createdAt))
    assert.isTrue(Timestamp.isZero(job.updatedAt))
    assert.strictEqual(job.description, "Scheduled job: cleanup (schedule: hourly)")
    assert.strictEqual(JobCodec.encode(job), V12)
  })

  it("vector 9: a wrong type fails the whole job with Go's message", () => {
    assert.strictEqual(decodeError(V9), V9_ERROR)
    const at = JobCodec.decodeAt("bananas:job:B", V9)
    assert.isTrue(Result.isFailure(at))
    if (Result.isFailure(at)) {
      assert.strictEqual(at.failure.key, "bananas:job:B")
      assert.include(at.failure.message, "bananas:job:B")
      assert.include(at.failure.message, V9_ERROR)
    }
  })
})

describe("JobCodec: Go's decoding rules", () => {
  it("a missing max_retries (or attempts) is 0, a missing payload null", () => {
    const job = decoded(`{"id":"x","name":"n","status":"pending","priority":"low"}`)
    assert.strictEqual(job.maxRetries, 0)
    assert.strictEqual(job.attempts, 0)
    assert.strictEqual(job.payload, "null")
    assert.isTrue(Timestamp.isZero(job.createdAt))
    assert.strictEqual(JobCodec.encode(job),
      `{"id":"x","name":"n","payload":null,"status":"pending","priority":"low","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","attempts":0,"max_retries":0}`)
  })

  it("null values leave fields unset (scheduled_for: null clears it)", () => {
    const job = decoded(`{"id":"x","max_retries":null,"scheduled_for":"2025-01-15T10:30:00Z","scheduled_for":null,"name":null}`)
    assert.strictEqual(job.maxRetries, 0)
    assert.strictEqual(job.name, "")
    assert.isUndefined(job.scheduledFor)
  })

  it("matches keys case-insensitively; the last duplicate wins", () => {
    const job = decoded(`{"ID":"a","Name":"first","NAME":"second","Max_Retries":7,"max_retries":5,"PAYLOAD":[1],"Status":"failed","ERROR":"boom"}`)
    assert.strictEqual(job.id, "a")
    assert.strictEqual(job.name, "second")
    assert.strictEqual(job.maxRetries, 5)
    assert.strictEqual(job.payload, "[1]")
    assert.strictEqual(job.status, "failed")
    assert.strictEqual(job.error, "boom")
  })

  it("folds keys as Go does (U+017F long s matches s)", () => {
    assert.strictEqual(decoded(`{"\u017Ftatus":"completed"}`).status, "completed")
  })

  it("ignores unknown keys (and drops them on re-encode)", () => {
    const job = decoded(`{"id":"u","extra":{"deep":[1,2,{"x":"}"}]},"name":"n","tags":["a"],"payload":1}`)
    assert.strictEqual(job.id, "u")
    assert.strictEqual(job.payload, "1")
    assert.notInclude(JobCodec.encode(job), "extra")
  })

  it("keeps whitespace and escapes inside the payload exactly", () => {
    const payload = `{ "b" : [ 1 ,\n\t2 ] , "a":"\\u00e9\\/<&>" }`
    const text = `{"id":"w","payload": ${payload} ,"name":"n"}`
    const job = decoded(text)
    assert.strictEqual(job.payload, payload)
    assert.include(JobCodec.encode(job), `"payload":${payload},`)
  })

  it("accepts any JSON value as payload", () => {
    for (const payload of [`"text"`, `42`, `-1.5e3`, `true`, `[]`, `{}`, `null`]) {
      assert.strictEqual(decoded(`{"payload":${payload}}`).payload, payload)
    }
  })

  it("top-level null is an empty job; other non-objects fail as in Go", () => {
    assert.strictEqual(decoded("null").id, "")
    assert.strictEqual(decodeError(`[1]`), "json: cannot unmarshal array into Go value of type models.Job")
    assert.strictEqual(decodeError(`"x"`), "json: cannot unmarshal string into Go value of type models.Job")
    assert.strictEqual(decodeError(`5`), "json: cannot unmarshal number into Go value of type models.Job")
  })

  it("reports wrong types with Go's messages", () => {
    assert.strictEqual(decodeError(`{"attempts":1.5}`), "json: cannot unmarshal number 1.5 into Go struct field Job.attempts of type int")
    assert.strictEqual(decodeError(`{"max_retries":true}`), "json: cannot unmarshal bool into Go struct field Job.max_retries of type int")
    assert.strictEqual(decodeError(`{"name":["a"]}`), "json: cannot unmarshal array into Go struct field Job.name of type string")
    assert.strictEqual(decodeError(`{"id":{}}`), "json: cannot unmarshal object into Go struct field Job.id of type string")
    // Go names no literal for a number into a string field
    assert.strictEqual(decodeError(`{"id":5}`), "json: cannot unmarshal number into Go struct field Job.id of type string")
    // int64 overflow is a type error in Go
    assert.strictEqual(decodeError(`{"attempts":99999999999999999999}`),
      "json: cannot unmarshal number 99999999999999999999 into Go struct field Job.attempts of type int")
    assert.strictEqual(decodeError(`{"created_at":5}`), "Time.UnmarshalJSON: input is not a JSON string")
  })

  it("fails the whole job on a bad time (no offset, a space, empty)", () => {
    for (const bad of ["2025-01-15T10:30:00", "2025-01-15 10:30:00Z", ""]) {
      const message = decodeError(`{"id":"t","created_at":${JSON.stringify(bad)}}`)
      assert.include(message, "parsing time")
    }
    assert.include(decodeError(`{"scheduled_for":"2025-01-15T10:30:00"}`), "parsing time")
  })

  it("like Go, a time error wins over an earlier type error (type errors are reported last)", () => {
    const message = decodeError(`{"attempts":"1","created_at":"bad"}`)
    assert.include(message, "parsing time")
    // several type errors: the first is reported
    assert.strictEqual(decodeError(`{"attempts":"1","max_retries":"2"}`), V9_ERROR)
  })

  it("reports JSON syntax errors with Go's messages", () => {
    assert.strictEqual(decodeError(""), "unexpected end of JSON input")
    assert.strictEqual(decodeError(`{"id":"x"`), "unexpected end of JSON input")
    assert.strictEqual(decodeError(`{"id":}`), "invalid character '}' looking for beginning of value")
    assert.strictEqual(decodeError(`{"id" "x"}`), "invalid character '\"' after object key")
    assert.strictEqual(decodeError(`{"id":"x" "name":"y"}`), "invalid character '\"' after object key:value pair")
    assert.strictEqual(decodeError(`{id:1}`), "invalid character 'i' looking for beginning of object key string")
    assert.strictEqual(decodeError(`{"a":1}x`), "invalid character 'x' after top-level value")
    assert.strictEqual(decodeError(`{"a":tru}`), "invalid character '}' in literal true (expecting 'e')")
    assert.strictEqual(decodeError(`{"a":[1,]}`), "invalid character ']' looking for beginning of value")
    assert.strictEqual(decodeError(`{"a":01}`), "invalid character '1' after object key:value pair")
  })
})

describe("Go's dead-letter records (Wire)", () => {
  it("missingDataRecord is vector 8's exact bytes", () => {
    assert.strictEqual(Wire.missingDataRecord("ghost"), `{"error":"Job data not found (corrupted reference)","id":"ghost"}`)
    assert.strictEqual(Wire.missingDataRecord("<x>"), `{"error":"Job data not found (corrupted reference)","id":"\\u003cx\\u003e"}`)
  })

  it("corruptedDataRecord is vector 9's exact bytes (keys sorted)", () => {
    assert.strictEqual(
      Wire.corruptedDataRecord("B", V9, V9_ERROR),
      `{"corrupted_data":"{\\"id\\":\\"B\\",\\"attempts\\":\\"1\\"}","error":"Failed to unmarshal job: ${V9_ERROR}","id":"B"}`
    )
  })

  it("cuts the data at 500 bytes and appends ... only when cut", () => {
    const exact = "a".repeat(500)
    assert.strictEqual(Wire.corruptedDataRecord("C", exact, "e"), `{"corrupted_data":"${exact}","error":"Failed to unmarshal job: e","id":"C"}`)
    const long = "b".repeat(499) + "cd"
    assert.strictEqual(Wire.corruptedDataRecord("C", long, "e"),
      `{"corrupted_data":"${"b".repeat(499)}c...","error":"Failed to unmarshal job: e","id":"C"}`)
  })

  it("counts bytes, not characters, and writes a split character as Go does (one \\ufffd per dangling byte)", () => {
    // 498 ASCII bytes + "€" (3 bytes: E2 82 AC): the cut keeps E2 82, which Go writes as two \ufffd
    const data = "a".repeat(498) + "\u20ac" + "zzz"
    assert.strictEqual(Wire.corruptedDataRecord("D", data, "e"),
      `{"corrupted_data":"${"a".repeat(498)}\\ufffd\\ufffd...","error":"Failed to unmarshal job: e","id":"D"}`)
    // a whole multi-byte character before the cut is kept as is
    const whole = "a".repeat(497) + "\u20ac" + "zzz"
    assert.strictEqual(Wire.corruptedDataRecord("D", whole, "e"),
      `{"corrupted_data":"${"a".repeat(497)}\u20ac...","error":"Failed to unmarshal job: e","id":"D"}`)
  })

  it("isDeadLetterRecord recognises both records (never a job), and deadLetterRecordError reads their error", () => {
    const missing = Wire.missingDataRecord("ghost")
    const corrupt = Wire.corruptedDataRecord("B", V9, V9_ERROR)
    assert.isTrue(Wire.isDeadLetterRecord(missing))
    assert.isTrue(Wire.isDeadLetterRecord(corrupt))
    assert.isFalse(Wire.isDeadLetterRecord(V1))
    assert.isFalse(Wire.isDeadLetterRecord(`{"error":"something else","id":"x"}`))
    assert.strictEqual(Wire.deadLetterRecordError(missing), "Job data not found (corrupted reference)")
    assert.strictEqual(Wire.deadLetterRecordError(corrupt), `Failed to unmarshal job: ${V9_ERROR}`)
    assert.isUndefined(Wire.deadLetterRecordError(V1))
  })
})

describe("JsonScanner", () => {
  it("splits an object into members with the exact raw text of each value", () => {
    const r = scanObject(` { "a" : 1.50 , "b":{"x":[true,null]}, "c":"q\\"uote" } `)
    assert.isTrue("members" in r)
    if ("members" in r) {
      assert.deepStrictEqual(r.members, [
        { key: "a", raw: "1.50", kind: "number" },
        { key: "b", raw: `{"x":[true,null]}`, kind: "object" },
        { key: "c", raw: `"q\\"uote"`, kind: "string" }
      ])
    }
  })

  it("keeps numbers of any length (Go's scanner has no limit), as payload bytes", () => {
    const long = "1" + "2".repeat(600) + "." + "3".repeat(600) + "e+" + "4".repeat(3)
    const r = scanObject(`{"n":${long},"m":[-${long}]}`)
    assert.deepStrictEqual(r, { members: [{ key: "n", raw: long, kind: "number" }, { key: "m", raw: `[-${long}]`, kind: "array" }] })
  })

  it("decodes escaped keys", () => {
    const r = scanObject(`{"na\\u006de":"x"}`)
    assert.isTrue("members" in r && r.members[0]?.key === "name")
  })

  it("reports the kind of a top-level non-object", () => {
    assert.deepStrictEqual(scanObject(" [1, 2] "), { kind: "array" })
    assert.deepStrictEqual(scanObject("false"), { kind: "bool" })
  })

  it("rejects control characters and bad escapes in strings", () => {
    assert.deepStrictEqual(scanObject(`{"a":"x\ny"}`), { error: "invalid character '\\n' in string literal" })
    assert.deepStrictEqual(scanObject(`{"a":"x\u0001"}`), { error: "invalid character '\\x01' in string literal" })
    assert.deepStrictEqual(scanObject(`{"a":\u{1F600}}`), { error: "invalid character '\u{1F600}' looking for beginning of value" })
    assert.deepStrictEqual(scanObject(`{"a":"\\x"}`), { error: "invalid character 'x' in string escape code" })
    assert.deepStrictEqual(scanObject(`{"a":"\\u12g4"}`), { error: "invalid character 'g' in \\u hexadecimal character escape" })
  })
})
