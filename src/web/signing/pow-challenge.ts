/** `GET /api/pow/challenge`: the proof-of-work widget's challenge URL (see services/proof-of-work.ts). */
import { Hono } from "hono";
import { z } from "zod";
import { MAX_POW_COUNT, POW_ACTIONS, POW_TARGET } from "../../services/proof-of-work.ts";
import type { WebEnv } from "../kit/context.ts";
import { apiError } from "../kit/errors.tsx";
import { parseRequest } from "../kit/params.ts";

const challengeQuery = z.object({
  action: z.enum(POW_ACTIONS, {
    error: `action must be one of ${POW_ACTIONS.join(", ")} (sign: target is the Declaration's slug).`,
  }),
  target: z
    .string()
    .regex(POW_TARGET, "target must be 1 to 100 letters, digits, - or _ (for sign, the Declaration's slug)."),
  count: z
    .string()
    .refine(
      (text) => /^\d{1,3}$/.test(text) && Number(text) >= 1 && Number(text) <= MAX_POW_COUNT,
      `count must be a whole number from 1 to ${MAX_POW_COUNT}.`,
    )
    .transform(Number),
});

/**
 * `GET /api/pow/challenge?action=&target=[&count=]`: a fresh challenge bound
 * to what it pays for, never cached.  400 (JSON, the field named) for
 * anything else.
 */
export const powRoutes = new Hono<WebEnv>().get("/challenge", async (c) => {
  c.header("Cache-Control", "no-store");
  const query = parseRequest(challengeQuery, {
    action: c.req.query("action") ?? "",
    target: c.req.query("target") ?? "",
    count: c.req.query("count") ?? "1",
  });
  if (!query.ok) return apiError(c, 400, "invalid_field", query.message, query.field);
  return c.json(await c.get("deps").pow.challenge(query.value));
});
