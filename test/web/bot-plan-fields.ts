/** The strike bot's plan form as a browser sends it (the strike of test/helpers/app.ts), plus `overrides` (undefined removes a field). */
export function planFields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    "day-2027-07-04": "on",
    "day-2027-07-05": "on",
    timeZone: "Europe/Berlin",
    cadence: "1",
    times: "",
    declaration: "test-declaration",
    "template-1": "On strike today. Sign: {declaration_url} {hashtags}",
    "template-2": "",
    visibility: "unlisted",
    language: "en",
    spoilerText: "",
    mediaId: "",
    mediaAlt: "",
    action: "save",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}
