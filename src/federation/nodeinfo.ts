/**
 * NodeInfo 2.1 (`/.well-known/nodeinfo` → `/nodeinfo/2.1`): tells other
 * servers what software this is and how much it holds.
 */
import { getRegistrationMode } from "../db/accounts.ts";
import { countPublishedDeclarations } from "../db/declarations.ts";
import { countAllPosts } from "../db/posts.ts";
import { SOFTWARE } from "../version.ts";
import { builder } from "./builder.ts";

builder.setNodeInfoDispatcher("/nodeinfo/2.1", (ctx) => {
  const declarations = countPublishedDeclarations(ctx.data.db);
  return {
    software: { name: SOFTWARE.name, version: SOFTWARE.version },
    protocols: ["activitypub"],
    // Accounts are for authors of copies; fediverse users need none to sign.
    openRegistrations: getRegistrationMode(ctx.data.db) === "open",
    usage: {
      // Each published Declaration is an account of this server.
      users: { total: declarations, activeMonth: declarations, activeHalfyear: declarations },
      localPosts: countAllPosts(ctx.data.db),
      localComments: 0,
    },
    metadata: { nodeName: ctx.data.instanceName },
  };
});
