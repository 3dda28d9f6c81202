/**
 * The strike's calendar: the window, wall-clock slots across daylight-saving
 * changes, the slot in progress and whether it is still due, hours left.
 */
import { describe, expect, it } from "vitest";
import {
  currentSlot,
  dayBounds,
  dueSlot,
  graceMs,
  hoursLeft,
  nextSlotStart,
  slotsOf,
  type Schedule,
} from "../../src/strike/schedule.ts";
import { strikeWindow } from "../../src/strike/window.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => new Date(iso);
const starts = (s: Schedule) => slotsOf(s).map((slot) => slot.start.toISOString());

describe("the window", () => {
  it("runs from local midnight of the first day to midnight after the last", () => {
    const s: Schedule = { days: ["2026-07-04", "2026-07-05"], timeZone: "Europe/Berlin", cadenceMinutes: 60 };
    const w = strikeWindow(s.days, s.timeZone);
    expect(slotsOf(s)[0]!.start).toEqual(w.start);
    expect(slotsOf(s).at(-1)!.end).toEqual(w.end);
    expect(w.start.toISOString()).toBe("2026-07-03T22:00:00.000Z");
    expect(w.end.toISOString()).toBe("2026-07-05T22:00:00.000Z");
  });

  it("opens at the first instant and closes at the last", () => {
    const s: Schedule = { days: ["2026-07-04", "2026-07-05"], timeZone: "America/New_York", cadenceMinutes: 60 };
    expect(currentSlot(s, at("2026-07-04T03:59:59.999Z"))).toBeNull();
    const first = currentSlot(s, at("2026-07-04T04:00:00.000Z"))!;
    expect(first).toMatchObject({ index: 0, day: "2026-07-04" });
    expect(first.start.toISOString()).toBe("2026-07-04T04:00:00.000Z");
    const last = currentSlot(s, at("2026-07-06T03:59:59.999Z"))!;
    expect(last).toMatchObject({ index: 47, day: "2026-07-05" });
    expect(currentSlot(s, at("2026-07-06T04:00:00.000Z"))).toBeNull();
    expect(nextSlotStart(s, at("2026-07-06T04:00:00.000Z"))).toBeNull();
  });

  it("days that are not adjacent have no slots between them, and slot numbers continue", () => {
    const s: Schedule = { days: ["2026-07-04", "2026-07-06"], timeZone: "UTC", cadenceMinutes: 60 };
    expect(currentSlot(s, at("2026-07-05T12:00:00Z"))).toBeNull();
    expect(nextSlotStart(s, at("2026-07-05T12:00:00Z"))!.toISOString()).toBe("2026-07-06T00:00:00.000Z");
    expect(currentSlot(s, at("2026-07-06T00:30:00Z"))!.index).toBe(24);
    expect(hoursLeft(s, at("2026-07-05T12:00:00Z"))).toBe(24);
    expect(slotsOf(s)).toHaveLength(48);
  });
});

describe("slots", () => {
  it("are every cadence minutes of wall-clock time from local midnight", () => {
    const s: Schedule = { days: ["2026-07-04"], timeZone: "Asia/Kolkata", cadenceMinutes: 90 };
    const all = starts(s);
    expect(all).toHaveLength(16);
    expect(all[0]).toBe("2026-07-03T18:30:00.000Z");
    expect(all[1]).toBe("2026-07-03T20:00:00.000Z");
    // The last slot runs to the end of the day.
    expect(slotsOf(s).at(-1)!.end.toISOString()).toBe("2026-07-04T18:30:00.000Z");
  });

  it("Europe/Berlin, clocks forward (2026-03-29): 23 slots, no 02:00", () => {
    const s: Schedule = { days: ["2026-03-29"], timeZone: "Europe/Berlin", cadenceMinutes: 60 };
    const all = starts(s);
    expect(all).toHaveLength(23);
    expect(
      dayBounds("2026-03-29", "Europe/Berlin").end.getTime() - dayBounds("2026-03-29", "Europe/Berlin").start.getTime(),
    ).toBe(23 * HOUR);
    // 01:00 CET, then 03:00 CEST: one real hour apart.
    expect(all.slice(0, 4)).toEqual([
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T00:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-29T02:00:00.000Z",
    ]);
    const local = slotsOf(s).map((slot) =>
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" }).format(
        slot.start,
      ),
    );
    expect(local).not.toContain("02:00");
    expect(local.slice(0, 3)).toEqual(["00:00", "01:00", "03:00"]);
  });

  it("Europe/Berlin, clocks back (2026-10-25): 25 slots, 02:00 twice", () => {
    const s: Schedule = { days: ["2026-10-25"], timeZone: "Europe/Berlin", cadenceMinutes: 60 };
    const slots = slotsOf(s);
    expect(slots).toHaveLength(25);
    const local = slots.map((slot) =>
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" }).format(
        slot.start,
      ),
    );
    expect(local.filter((t) => t === "02:00")).toHaveLength(2);
    // Every slot is one real hour.
    for (const slot of slots) expect(slot.end.getTime() - slot.start.getTime()).toBe(HOUR);
    expect(hoursLeft(s, dayBounds("2026-10-25", "Europe/Berlin").start)).toBe(25);
  });

  it("America/New_York, clocks forward (2026-03-08) and back (2026-11-01), half-hourly", () => {
    const spring: Schedule = { days: ["2026-03-08"], timeZone: "America/New_York", cadenceMinutes: 30 };
    expect(starts(spring)).toHaveLength(46);
    // 01:30 EST is followed by 03:00 EDT, thirty minutes later.
    const i = starts(spring).indexOf("2026-03-08T06:30:00.000Z");
    expect(starts(spring)[i + 1]).toBe("2026-03-08T07:00:00.000Z");
    const fall: Schedule = { days: ["2026-11-01"], timeZone: "America/New_York", cadenceMinutes: 30 };
    const all = starts(fall);
    expect(all).toHaveLength(50);
    expect(new Set(all).size).toBe(50);
    expect([...all].sort()).toEqual(all);
  });

  it("each slot is current from its start until the next one", () => {
    const s: Schedule = { days: ["2026-10-25"], timeZone: "Europe/Berlin", cadenceMinutes: 60 };
    // 02:30 CEST (00:30Z) and 02:30 CET (01:30Z) are in different slots.
    const a = currentSlot(s, at("2026-10-25T00:30:00Z"))!;
    const b = currentSlot(s, at("2026-10-25T01:30:00Z"))!;
    expect(a.index + 1).toBe(b.index);
    expect(a.start.toISOString()).toBe("2026-10-25T00:00:00.000Z");
    expect(b.start.toISOString()).toBe("2026-10-25T01:00:00.000Z");
  });
});

describe("due slots", () => {
  const s: Schedule = { days: ["2026-07-04"], timeZone: "UTC", cadenceMinutes: 60 };

  it("grace is half the cadence, at most 15 minutes", () => {
    expect(graceMs(60)).toBe(15 * MIN);
    expect(graceMs(20)).toBe(10 * MIN);
    expect(graceMs(15)).toBe(7.5 * MIN);
  });

  it("a slot is due in its first 15 minutes and skipped after (a restart mid-slot posts nothing late)", () => {
    expect(dueSlot(s, at("2026-07-04T05:00:00Z"))!.start.toISOString()).toBe("2026-07-04T05:00:00.000Z");
    expect(dueSlot(s, at("2026-07-04T05:05:00Z"))!.index).toBe(5);
    expect(dueSlot(s, at("2026-07-04T05:14:59.999Z"))).not.toBeNull();
    expect(dueSlot(s, at("2026-07-04T05:15:00Z"))).toBeNull();
    expect(dueSlot(s, at("2026-07-04T05:20:00Z"))).toBeNull();
    expect(currentSlot(s, at("2026-07-04T05:20:00Z"))!.index).toBe(5);
  });

  it("the next slot starts on the hour", () => {
    expect(nextSlotStart(s, at("2026-07-04T05:20:00Z"))!.toISOString()).toBe("2026-07-04T06:00:00.000Z");
    expect(nextSlotStart(s, at("2026-07-03T12:00:00Z"))!.toISOString()).toBe("2026-07-04T00:00:00.000Z");
  });
});

describe("hours left", () => {
  const s: Schedule = { days: ["2026-07-04", "2026-07-05"], timeZone: "UTC", cadenceMinutes: 60 };
  it("counts the strike's hours still to come, rounded up", () => {
    expect(hoursLeft(s, at("2026-07-01T00:00:00Z"))).toBe(48);
    expect(hoursLeft(s, at("2026-07-04T00:00:00Z"))).toBe(48);
    expect(hoursLeft(s, at("2026-07-04T00:30:00Z"))).toBe(48);
    expect(hoursLeft(s, at("2026-07-05T23:00:00Z"))).toBe(1);
    expect(hoursLeft(s, at("2026-07-06T00:00:00Z"))).toBe(0);
  });
});
