CREATE TABLE `media` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`mime` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`bytes` integer NOT NULL,
	`sha256` text NOT NULL,
	`alt` text NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`gallery` integer DEFAULT false NOT NULL,
	`created_by` integer,
	`created` integer NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `media_uuid_unique` ON `media` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `media_sha256_unique` ON `media` (`sha256`);--> statement-breakpoint
CREATE INDEX `media_gallery_idx` ON `media` (`gallery`,`id`);--> statement-breakpoint
CREATE TABLE `media_blobs` (
	`media_id` integer PRIMARY KEY NOT NULL,
	`data` blob NOT NULL,
	FOREIGN KEY (`media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `pledges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`edition` text NOT NULL,
	`days` text NOT NULL,
	`name` text,
	`public` integer DEFAULT false NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pledges_edition_idx` ON `pledges` (`edition`,`id`);--> statement-breakpoint
CREATE TABLE `site_pages` (
	`slug` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`source_file` text,
	`source_file_sha256` text,
	`edited_on_site` integer DEFAULT false NOT NULL,
	`updated` integer NOT NULL,
	`updated_by` integer,
	FOREIGN KEY (`updated_by`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
ALTER TABLE `fed_posts` ADD `content` text;--> statement-breakpoint
ALTER TABLE `fed_posts` ADD `media_ids` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `fed_posts` ADD `slot` integer;