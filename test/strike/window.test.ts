import { describe, expect, it } from "vitest";
import { strikePhase, strikeWindow } from "../../src/strike/window.ts";

describe("the strike window", () => {
  it("runs from local midnight of the first day to local midnight after the last", () => {
    const w = strikeWindow(["2027-07-05", "2027-07-04"], "Europe/Berlin");
    expect(w.start.toISOString()).toBe("2027-07-03T22:00:00.000Z");
    expect(w.end.toISOString()).toBe("2027-07-05T22:00:00.000Z");
    expect(w.days.map((d) => d.date)).toEqual(["2027-07-04", "2027-07-05"]);
  });

  it("has a 23-hour day when the clocks go forward and a 25-hour day when they go back", () => {
    const spring = strikeWindow(["2027-03-14"], "America/New_York");
    expect(spring.end.getTime() - spring.start.getTime()).toBe(23 * 3_600_000);
    const autumn = strikeWindow(["2027-10-31"], "Europe/Berlin");
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * 3_600_000);
  });

  it("says whether the strike is upcoming, on or over", () => {
    const w = strikeWindow(["2027-07-04", "2027-07-06"], "UTC");
    expect(strikePhase(w, new Date("2027-07-03T23:59:59Z"))).toBe("upcoming");
    expect(strikePhase(w, new Date("2027-07-04T00:00:00Z"))).toBe("on");
    expect(strikePhase(w, new Date("2027-07-06T23:59:59Z"))).toBe("on");
    expect(strikePhase(w, new Date("2027-07-07T00:00:00Z"))).toBe("over");
    expect(w.days.map((d) => d.date)).toEqual(["2027-07-04", "2027-07-06"]);
  });
});
