/**
 * The account forms as zod schemas (src/web/kit/params.ts `parseForm`): each
 * field's problem is the message the form shows next to it.  The invite code
 * is only checked for being there; whether it is unused is the database's
 * answer, asked after the form is valid.
 */
import { z } from "zod";
import { normalizeUsername, passwordProblem, REGISTRATION_MODES, usernameProblem } from "../../db/accounts.ts";
import { safeNext } from "../kit/guards.ts";

/** A field that may be missing from the body: an absent field reads as "". */
const text = z.string().optional().default("");

/** Where to go afterwards: a path on this site, or the account page. */
const next = z
  .string()
  .optional()
  .transform((raw) => safeNext(raw));

const username = text.transform(normalizeUsername).superRefine((name, ctx) => {
  const problem = usernameProblem(name);
  if (problem != null) ctx.addIssue({ code: "custom", message: problem });
});

const password = text.superRefine((value, ctx) => {
  const problem = passwordProblem(value);
  if (problem != null) ctx.addIssue({ code: "custom", message: problem });
});

/** The registration form; `invite` is required when registration needs one. */
export function registerForm(mode: "open" | "invite") {
  return z
    .object({
      username,
      password,
      password2: text,
      invite: text.transform((s) => s.trim()),
      next,
    })
    .superRefine((form, ctx) => {
      if (passwordProblem(form.password) == null && form.password2 !== form.password)
        ctx.addIssue({ code: "custom", path: ["password2"], message: "The two passwords are not the same." });
      if (mode === "invite" && form.invite === "")
        ctx.addIssue({ code: "custom", path: ["invite"], message: "Please enter your invite code." });
    });
}

export const loginForm = z.object({
  username: text.transform(normalizeUsername).refine((s) => s !== "", "Please enter your username."),
  password: text.refine((s) => s !== "", "Please enter your password."),
  next,
});

export const registrationModeForm = z.object({
  mode: z.enum(REGISTRATION_MODES, { error: "Please choose open, invite or closed." }),
});

/** `?next=` on the login and registration pages. */
export const nextQuery = z.object({ next });
