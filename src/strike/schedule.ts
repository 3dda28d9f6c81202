/**
 * The strike's calendar: its window and the slots in which Declarations post
 * notices.  Pure: every function takes the settings and the time it asks
 * about.
 *
 * Each strike day is its own span, from local midnight to the next local
 * midnight in the strike's time zone (src/strike/window.ts), so a day on
 * which the clocks change lasts 23 or 25 hours.  Days need not be
 * consecutive: the time between two days that are not adjacent has no slots.
 *
 * Slots are wall-clock times: every `cadenceMinutes` from local midnight
 * (00:00, 01:00, … for hourly).  When the clocks go forward, the local times
 * that do not exist have no slot (a 23-hour day has 23 hourly slots).  When
 * they go back, a repeated local time is two different instants and gets two
 * slots (a 25-hour day has 25), so followers see the same rhythm all day.  A
 * slot lasts until the next one starts (or the day ends).
 *
 * A slot is due only in its first minutes (`graceMs`): a process that was
 * down during a slot skips it rather than posting missed notices in a burst.
 */
import { Temporal } from "@js-temporal/polyfill";
import { localMidnight, nextDay } from "./window.ts";

export interface Schedule {
  /** ISO dates (YYYY-MM-DD), in order. */
  readonly days: readonly string[];
  /** IANA time zone. */
  readonly timeZone: string;
  readonly cadenceMinutes: number;
}

export interface Slot {
  readonly start: Date;
  /** The next slot's start, or the end of the day. */
  readonly end: Date;
  /** The strike day it belongs to (YYYY-MM-DD, local). */
  readonly day: string;
  /** Its number within the whole strike, from 0 (rotates the templates). */
  readonly index: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The first and last instant of one local day: [start, end). */
export function dayBounds(day: string, timeZone: string): { start: Date; end: Date } {
  return { start: localMidnight(day, timeZone), end: localMidnight(nextDay(day), timeZone) };
}

// Slot starts per (day, zone, cadence): the polyfill is slow and the
// publisher asks every minute.  Bounded: a few strikes' worth of days.
const dayCache = new Map<string, number[]>();

/** The slot start times (ms) of one day, in order. */
function dayStarts(day: string, timeZone: string, cadenceMinutes: number): number[] {
  const key = `${day}|${timeZone}|${cadenceMinutes}`;
  const cached = dayCache.get(key);
  if (cached != null) return cached;
  const { start, end } = dayBounds(day, timeZone);
  const date = Temporal.PlainDate.from(day);
  const starts = new Set<number>();
  for (let minutes = 0; minutes < 24 * 60; minutes += cadenceMinutes) {
    const local = date.toPlainDateTime({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
    // A repeated local time (clocks went back) is two instants: one slot each.
    // A local time skipped when the clocks went forward maps to other local
    // times either way: no slot.
    for (const disambiguation of ["earlier", "later"] as const) {
      const zoned = local.toZonedDateTime(timeZone, { disambiguation });
      if (!zoned.toPlainDateTime().equals(local)) continue;
      const ms = zoned.epochMilliseconds;
      if (ms >= start.getTime() && ms < end.getTime()) starts.add(ms);
    }
  }
  // A day whose midnight does not exist starts at its first existing instant.
  starts.add(start.getTime());
  const sorted = [...starts].sort((a, b) => a - b);
  if (dayCache.size > 500) dayCache.clear();
  dayCache.set(key, sorted);
  return sorted;
}

function daySlots(s: Schedule, day: string, firstIndex: number): Slot[] {
  const starts = dayStarts(day, s.timeZone, s.cadenceMinutes);
  const end = dayBounds(day, s.timeZone).end.getTime();
  return starts.map((ms, i) => ({
    start: new Date(ms),
    end: new Date(starts[i + 1] ?? end),
    day,
    index: firstIndex + i,
  }));
}

/** Every slot of the strike, in order. */
export function slotsOf(s: Schedule): Slot[] {
  const slots: Slot[] = [];
  for (const day of s.days) slots.push(...daySlots(s, day, slots.length));
  return slots;
}

/** The slot in progress at `now` (start ≤ now < end), or null outside the strike's days. */
export function currentSlot(s: Schedule, now: Date): Slot | null {
  const t = now.getTime();
  let index = 0;
  for (const day of s.days) {
    const { start, end } = dayBounds(day, s.timeZone);
    if (t >= start.getTime() && t < end.getTime()) {
      return daySlots(s, day, index).findLast((slot) => slot.start.getTime() <= t) ?? null;
    }
    if (t < start.getTime()) return null;
    index += dayStarts(day, s.timeZone, s.cadenceMinutes).length;
  }
  return null;
}

/** How long after its start a slot may still be posted: half the cadence, at most 15 minutes. */
export function graceMs(cadenceMinutes: number): number {
  return Math.min((cadenceMinutes * MINUTE) / 2, 15 * MINUTE);
}

/** The slot to post now: the current one, if it started less than `graceMs` ago. */
export function dueSlot(s: Schedule, now: Date): Slot | null {
  const slot = currentSlot(s, now);
  if (slot == null) return null;
  return now.getTime() < slot.start.getTime() + graceMs(s.cadenceMinutes) ? slot : null;
}

/** The start of the first slot after `now`, or null when the strike is over. */
export function nextSlotStart(s: Schedule, now: Date): Date | null {
  const t = now.getTime();
  for (const day of s.days) {
    const { end } = dayBounds(day, s.timeZone);
    if (end.getTime() <= t) continue;
    const next = dayStarts(day, s.timeZone, s.cadenceMinutes).find((ms) => ms > t);
    if (next != null) return new Date(next);
  }
  return null;
}

/** Strike time still to come after `now` (the strike's days only), in whole hours rounded up. */
export function hoursLeft(s: Schedule, now: Date): number {
  const t = now.getTime();
  let ms = 0;
  for (const day of s.days) {
    const { start, end } = dayBounds(day, s.timeZone);
    ms += Math.max(0, end.getTime() - Math.max(start.getTime(), t));
  }
  return Math.ceil(ms / HOUR);
}
