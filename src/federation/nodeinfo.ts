/**
 * NodeInfo 2.1 (`/.well-known/nodeinfo` → `/nodeinfo/2.1`): tells other
 * servers what software this is and how much it holds.
 */
import { countPublishedDeclarations } from "../db/declarations.ts";
import { SOFTWARE } from "../version.ts";
import { builder } from "./builder.ts";

builder.setNodeInfoDispatcher("/nodeinfo/2.1", (ctx) => {
  const declarations = countPublishedDeclarations(ctx.data.db);
  return {
    software: { name: SOFTWARE.name, version: SOFTWARE.version },
    protocols: ["activitypub"],
    openRegistrations: false,
    usage: {
      // Each published Declaration is an account of this server.
      users: { total: declarations, activeMonth: declarations, activeHalfyear: declarations },
      localPosts: declarations,
      localComments: 0,
    },
    metadata: { nodeName: ctx.data.instanceName },
  };
});
