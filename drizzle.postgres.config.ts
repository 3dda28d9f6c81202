import { defineConfig } from "drizzle-kit";

/** Migrations for PostgreSQL (`DATABASE_URL`): `npm run db:generate:postgres -- --name <what-changed>`. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/postgres/schema.ts",
  out: "./migrations/postgres",
  casing: "snake_case",
});
