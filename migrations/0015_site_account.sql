CREATE TABLE `site_followers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_id` integer NOT NULL,
	`follow_uri` text,
	`created` integer NOT NULL,
	FOREIGN KEY (`actor_id`) REFERENCES `remote_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `site_followers_actor_unique` ON `site_followers` (`actor_id`);--> statement-breakpoint
CREATE TABLE `site_posts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`activity_uuid` text NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`declaration_id` integer,
	`object_uri` text,
	`content` text,
	`hashtags` text DEFAULT '[]' NOT NULL,
	`media_ids` text DEFAULT '[]' NOT NULL,
	`language` text,
	`published` integer NOT NULL,
	`delivered` integer,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `site_posts_uuid_unique` ON `site_posts` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `site_posts_activity_uuid_unique` ON `site_posts` (`activity_uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `site_posts_key_unique` ON `site_posts` (`key`);--> statement-breakpoint
CREATE INDEX `site_posts_undelivered_idx` ON `site_posts` (`id`) WHERE delivered IS NULL;