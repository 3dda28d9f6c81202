import pkg from "../package.json" with { type: "json" };

/** The running software's name and version, from package.json. */
export const SOFTWARE = { name: pkg.name, version: pkg.version } as const;
