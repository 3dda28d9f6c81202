/**
 * The one Temporal polyfill (Node has no global Temporal).  Fedify's types use
 * the standard `Temporal` declarations; the polyfill implements them, so its
 * values are handed over under those types.
 */
import { Temporal as Polyfill } from "@js-temporal/polyfill";

export function instant(date: Date): Temporal.Instant {
  return Polyfill.Instant.fromEpochMilliseconds(date.getTime()) as unknown as Temporal.Instant;
}

export function toDate(value: { epochMilliseconds: number } | null | undefined): Date | null {
  return value == null ? null : new Date(value.epochMilliseconds);
}

export function duration(like: Temporal.DurationLike): Temporal.Duration {
  return Polyfill.Duration.from(like as never) as unknown as Temporal.Duration;
}
