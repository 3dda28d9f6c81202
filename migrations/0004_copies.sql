-- drizzle-kit drops ON DELETE from ALTER TABLE … ADD … REFERENCES on SQLite; the actions below match schema.ts and the snapshot.
ALTER TABLE `declarations` ADD `owner_id` integer REFERENCES accounts(id) ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE `declarations` ADD `source_declaration_id` integer REFERENCES declarations(id) ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE `declarations` ADD `source_revision` integer;--> statement-breakpoint
ALTER TABLE `declarations` ADD `source_url` text;--> statement-breakpoint
ALTER TABLE `declarations` ADD `source_title` text;--> statement-breakpoint
CREATE INDEX `declarations_source_idx` ON `declarations` (`source_declaration_id`);--> statement-breakpoint
ALTER TABLE `revisions` ADD `author_id` integer REFERENCES accounts(id) ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE `revisions` ADD `notes` text DEFAULT '{}' NOT NULL;