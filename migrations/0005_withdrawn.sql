-- drizzle-kit drops ON DELETE from ALTER TABLE … ADD … REFERENCES on SQLite; the action below matches schema.ts and the snapshot.
-- The `withdrawn` status value needs no DDL: SQLite stores the enum as plain text.
ALTER TABLE `declarations` ADD `withdrawn_at` integer;--> statement-breakpoint
ALTER TABLE `declarations` ADD `withdrawn_by` integer REFERENCES accounts(id) ON DELETE SET NULL;
