CREATE TABLE `declarations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`title` text NOT NULL,
	`summary` text DEFAULT '' NOT NULL,
	`license` text DEFAULT '' NOT NULL,
	`hashtags` text DEFAULT '[]' NOT NULL,
	`language` text DEFAULT 'en' NOT NULL,
	`status` text DEFAULT 'published' NOT NULL,
	`revision` integer NOT NULL,
	`signature_count` integer DEFAULT 0 NOT NULL,
	`source_file` text,
	`source_file_sha256` text,
	`imported_revision` integer,
	`created` integer NOT NULL,
	`updated` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `declarations_slug_unique` ON `declarations` (`slug`);--> statement-breakpoint
CREATE INDEX `declarations_updated_idx` ON `declarations` (`updated`);--> statement-breakpoint
CREATE TABLE `kv` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`expires` integer
);
--> statement-breakpoint
CREATE INDEX `kv_expires_idx` ON `kv` (`expires`);--> statement-breakpoint
CREATE TABLE `revisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`declaration_id` integer NOT NULL,
	`number` integer NOT NULL,
	`title` text NOT NULL,
	`summary` text DEFAULT '' NOT NULL,
	`body` text NOT NULL,
	`change_summary` text DEFAULT '' NOT NULL,
	`origin` text NOT NULL,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `revisions_declaration_number_unique` ON `revisions` (`declaration_id`,`number`);