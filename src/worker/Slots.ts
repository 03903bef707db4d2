/**
 * The worker's slot accounting, in one place: which jobs run, which
 * outcomes are being written, which takes are in flight, and the two
 * bounds on them. The worker, lease renewal and the reclaimer read it; only
 * the methods here change it.
 *
 * A job's life in the slots:
 *
 * 1. the dispatcher waits for a free slot (`awaitSlot`) and opens a take
 *    with it and every other free one, at most the take's size (`beginTake`);
 *    both in one uninterruptible step with the take, so a slot taken is
 *    always accounted for;
 * 2. each job the take delivered is `register`ed (running); the take's
 *    unused slots go back (`endTake`);
 * 3. when its handler is done the job moves to writing (`startWriting`:
 *    waits for a writer, then frees its slot, so the next job is taken
 *    while this outcome is written);
 * 4. `finish` ends it (outcome written, refused, abandoned, or interrupted
 *    at any point): it leaves running and writing and gives back whatever it
 *    still holds.
 *
 * Invariants (checked by `check`, tested in test/worker/Slots.test.ts):
 *
 * - slots taken = jobs whose handler runs + slots reserved by the take in
 *   flight (`reserved`), never more than `concurrency`;
 * - writers taken = outcomes being written (`writing`), never more than
 *   `concurrency`;
 * - jobs running = handlers running + outcomes being written (each job is
 *   in exactly one of the two until it finishes);
 * - once every job has finished and no take is in flight, nothing is taken:
 *   no slot or writer leaks on interruption, shutdown, lease loss or an
 *   abandoned handler (`finish` runs in the job fiber's finalizer).
 *
 * Slots and writers are plain counters, not semaphores: taking or giving
 * one back is a few instructions on the job's path; only a wait (every
 * slot or writer taken) suspends a fiber, woken when one comes back.
 *
 * @since 0.2.0
 */

import * as Effect from "effect/Effect"
import type { JobId } from "../domain/JobId.ts"
import type { JobDelivery } from "../services/JobQueue.ts"

/**
 * The dispatcher's takes, as the reclaimer sees them: one in flight, and
 * how many have started.
 *
 * @category models
 * @since 0.2.0
 */
export interface Takes {
  /** True from the start of a take until every job it delivered is registered as running. */
  readonly inFlight: boolean
  /** Takes started so far. */
  readonly started: number
}

/**
 * What the slots hold right now (for checks, metrics and tests).
 *
 * @category models
 * @since 0.2.0
 */
export interface Snapshot {
  /** Slots taken: handlers running plus slots reserved by the take in flight. */
  readonly slotsTaken: number
  /** Writers taken: outcomes being written. */
  readonly writersTaken: number
  /** Jobs registered and not finished (handler running, or outcome being written). */
  readonly running: number
  /** Jobs whose outcome is being written. */
  readonly writing: number
  /** Slots held for a take (taken by `awaitSlot` or the take in flight, not yet used by a job). */
  readonly reserved: number
}

/**
 * The slots of one worker.
 *
 * @category models
 * @since 0.2.0
 */
export interface Slots {
  /** Jobs registered and not finished, by id. */
  readonly running: ReadonlyMap<JobId, JobDelivery>
  /** Ids of the jobs whose outcome is being written (their completion removes the lease). */
  readonly writing: ReadonlySet<JobId>
  /** The takes, for the reclaimer. */
  readonly takes: Takes
  /** True once the worker stops taking jobs. */
  readonly stopping: boolean
  /** Stops taking jobs (the dispatcher's loop ends). */
  readonly stop: () => void
  /** Waits (interruptibly) for a free slot and takes it; nothing is taken when interrupted. */
  readonly awaitSlot: Effect.Effect<void>
  /** A take starts: with the slot `awaitSlot` took and every other free one (at most `max` in all); how many. */
  readonly beginTake: (max: number) => Effect.Effect<number>
  /** A delivered job runs in one of the take's slots. */
  readonly register: (delivery: JobDelivery) => void
  /** A delivered entry that will not run (dead-lettered at take): its slot goes back. */
  readonly skip: Effect.Effect<void>
  /** The take ends: its slots not used by a registered job go back. */
  readonly endTake: Effect.Effect<void>
  /** The handler is done: waits for a writer, then frees the job's slot (uninterruptible once the writer is taken). */
  readonly startWriting: (id: JobId) => Effect.Effect<void>
  /**
   * `startWriting` without waiting: true when a writer was free and taken
   * (the job's slot freed), false when every writer is taken (nothing
   * changed: wait with `startWriting`).
   *
   * @since 0.2.0
   */
  readonly tryStartWriting: (id: JobId) => boolean
  /** The job ends, however: out of running and writing, its slot or writer given back. Idempotent. */
  readonly finish: (id: JobId) => Effect.Effect<void>
  /**
   * `finish`, as a plain call (for finalizers that run no Effect).
   *
   * @since 0.2.0
   */
  readonly finishUnsafe: (id: JobId) => void
  /** What the slots hold. */
  readonly snapshot: () => Snapshot
  /** The invariants, as a list of violations (empty when they hold). */
  readonly check: () => ReadonlyArray<string>
}

/**
 * The slots of a worker running at most `concurrency` jobs (and writing at
 * most `concurrency` outcomes) at once.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (concurrency: number): Effect.Effect<Slots> =>
  Effect.sync(() => {
    const running = new Map<JobId, JobDelivery>()
    /** Jobs whose outcome is being written; every other running job holds a slot (its handler runs). */
    const writing = new Set<JobId>()
    const takes = { inFlight: false, started: 0 }
    let stopping = false
    let slotsTaken = 0
    let writersTaken = 0
    let reserved = 0
    /** Fibers waiting for a slot, and for a writer: woken when one comes back; each takes it itself. */
    const slotWaiters = new Set<() => void>()
    const writerWaiters = new Set<() => void>()

    const wake = (waiters: Set<() => void>) => {
      for (const resume of waiters) {
        waiters.delete(resume)
        resume()
        return
      }
    }
    const giveSlots = (n: number) => {
      if (n <= 0) return
      slotsTaken -= n
      for (let i = 0; i < n && slotWaiters.size > 0; i++) wake(slotWaiters)
    }
    const giveWriter = () => {
      writersTaken--
      if (writerWaiters.size > 0) wake(writerWaiters)
    }
    /** Waits until woken (a slot or a writer came back), interruptibly where the caller allows. */
    const waitOn = (waiters: Set<() => void>) =>
      Effect.callback<void>((resume) => {
        const resumed = () => resume(Effect.void)
        waiters.add(resumed)
        return Effect.sync(() => {
          // Interrupted after being woken: pass the wake-up on.
          if (!waiters.delete(resumed)) wake(waiters)
        })
      })
    const waitForSlot = waitOn(slotWaiters)
    const waitForWriter = waitOn(writerWaiters)

    const tryStartWriting = (id: JobId): boolean => {
      if (writersTaken >= concurrency) return false
      writersTaken++
      const heldSlot = running.has(id) && !writing.has(id)
      writing.add(id)
      if (heldSlot) giveSlots(1)
      return true
    }
    const finishUnsafe = (id: JobId) => {
      const wasRunning = running.delete(id)
      if (writing.delete(id)) giveWriter()
      else if (wasRunning) giveSlots(1)
    }

    const slots: Slots = {
      running,
      writing,
      takes,
      get stopping() {
        return stopping
      },
      stop: () => {
        stopping = true
      },
      // The slot is taken by this fiber once it runs again, in the
      // uninterruptible part: an interruption never leaves one taken.
      awaitSlot: Effect.uninterruptibleMask((restore) => {
        const attempt: Effect.Effect<void> = Effect.suspend(() => {
          if (slotsTaken < concurrency) {
            slotsTaken++
            reserved++
            return Effect.void
          }
          return Effect.andThen(restore(waitForSlot), attempt)
        })
        return attempt
      }),
      beginTake: (max) =>
        Effect.sync(() => {
          while (reserved < max && slotsTaken < concurrency) {
            slotsTaken++
            reserved++
          }
          takes.inFlight = true
          takes.started++
          return reserved
        }),
      register: (delivery) => {
        reserved--
        running.set(delivery.job.id, delivery)
      },
      skip: Effect.sync(() => {
        reserved--
        giveSlots(1)
      }),
      endTake: Effect.sync(() => {
        const unused = reserved
        reserved = 0
        takes.inFlight = false
        giveSlots(unused)
      }),
      startWriting: (id) => {
        const attempt: Effect.Effect<void> = Effect.suspend(() => (tryStartWriting(id) ? Effect.void : Effect.andThen(waitForWriter, attempt)))
        return Effect.uninterruptible(attempt)
      },
      tryStartWriting,
      finish: (id) => Effect.sync(() => finishUnsafe(id)),
      finishUnsafe,
      snapshot: () => ({ slotsTaken, writersTaken, running: running.size, writing: writing.size, reserved }),
      check: () => {
        const violations: Array<string> = []
        const handlers = running.size - writing.size
        if (slotsTaken !== handlers + reserved) {
          violations.push(`slots taken ${slotsTaken} != handlers running ${handlers} + reserved ${reserved}`)
        }
        if (slotsTaken > concurrency) violations.push(`slots taken ${slotsTaken} > concurrency ${concurrency}`)
        if (writersTaken !== writing.size) violations.push(`writers taken ${writersTaken} != outcomes being written ${writing.size}`)
        if (writersTaken > concurrency) violations.push(`writers taken ${writersTaken} > concurrency ${concurrency}`)
        for (const id of writing) if (!running.has(id)) violations.push(`job ${id} writing but not running`)
        return violations
      }
    }
    return slots
  })
