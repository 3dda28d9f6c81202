CREATE TABLE `actor_keys` (
	`identifier` text PRIMARY KEY NOT NULL,
	`rsa_public` text NOT NULL,
	`rsa_private` text NOT NULL,
	`ed25519_public` text NOT NULL,
	`ed25519_private` text NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `domain_blocks` (
	`domain` text PRIMARY KEY NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `fed_activities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`declaration_id` integer NOT NULL,
	`post_id` integer NOT NULL,
	`type` text NOT NULL,
	`revision` integer NOT NULL,
	`published` integer NOT NULL,
	`delivered` integer,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`post_id`) REFERENCES `fed_posts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_activities_uuid_unique` ON `fed_activities` (`uuid`);--> statement-breakpoint
CREATE INDEX `fed_activities_declaration_idx` ON `fed_activities` (`declaration_id`,`id`);--> statement-breakpoint
CREATE INDEX `fed_activities_undelivered_idx` ON `fed_activities` (`id`) WHERE delivered IS NULL;--> statement-breakpoint
CREATE TABLE `fed_boosts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`activity_uri` text NOT NULL,
	`declaration_id` integer NOT NULL,
	`actor_id` integer NOT NULL,
	`object_uri` text NOT NULL,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `remote_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_boosts_activity_unique` ON `fed_boosts` (`activity_uri`);--> statement-breakpoint
CREATE INDEX `fed_boosts_declaration_idx` ON `fed_boosts` (`declaration_id`);--> statement-breakpoint
CREATE INDEX `fed_boosts_actor_idx` ON `fed_boosts` (`actor_id`);--> statement-breakpoint
CREATE TABLE `fed_posts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`declaration_id` integer NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`revision` integer NOT NULL,
	`signature_count` integer DEFAULT 0 NOT NULL,
	`delta` integer DEFAULT 0 NOT NULL,
	`published` integer NOT NULL,
	`updated` integer,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_posts_uuid_unique` ON `fed_posts` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `fed_posts_declaration_key_unique` ON `fed_posts` (`declaration_id`,`key`);--> statement-breakpoint
CREATE INDEX `fed_posts_declaration_idx` ON `fed_posts` (`declaration_id`,`id`);--> statement-breakpoint
CREATE TABLE `fed_reactions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`activity_uri` text NOT NULL,
	`declaration_id` integer NOT NULL,
	`actor_id` integer NOT NULL,
	`object_uri` text NOT NULL,
	`kind` text NOT NULL,
	`content` text,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `remote_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_reactions_activity_unique` ON `fed_reactions` (`activity_uri`);--> statement-breakpoint
CREATE INDEX `fed_reactions_declaration_actor_idx` ON `fed_reactions` (`declaration_id`,`actor_id`);--> statement-breakpoint
CREATE INDEX `fed_reactions_actor_idx` ON `fed_reactions` (`actor_id`);--> statement-breakpoint
CREATE TABLE `fed_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`activity_uri` text NOT NULL,
	`actor_uri` text NOT NULL,
	`declaration_id` integer,
	`object_uris` text NOT NULL,
	`content` text DEFAULT '' NOT NULL,
	`created` integer NOT NULL,
	`resolved` integer,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_reports_activity_unique` ON `fed_reports` (`activity_uri`);--> statement-breakpoint
CREATE TABLE `fed_responses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uri` text NOT NULL,
	`declaration_id` integer NOT NULL,
	`actor_id` integer NOT NULL,
	`in_reply_to` text NOT NULL,
	`url` text NOT NULL,
	`summary` text,
	`content_html` text NOT NULL,
	`published` integer NOT NULL,
	`updated` integer,
	`hidden` integer DEFAULT false NOT NULL,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `remote_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_responses_uri_unique` ON `fed_responses` (`uri`);--> statement-breakpoint
CREATE INDEX `fed_responses_declaration_idx` ON `fed_responses` (`declaration_id`,`id`);--> statement-breakpoint
CREATE INDEX `fed_responses_actor_idx` ON `fed_responses` (`actor_id`);--> statement-breakpoint
CREATE TABLE `followers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`declaration_id` integer NOT NULL,
	`actor_id` integer NOT NULL,
	`follow_uri` text,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `remote_actors`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `followers_declaration_actor_unique` ON `followers` (`declaration_id`,`actor_id`);--> statement-breakpoint
CREATE INDEX `followers_actor_idx` ON `followers` (`actor_id`);--> statement-breakpoint
CREATE TABLE `queue_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message` text NOT NULL,
	`ordering_key` text,
	`available_at` integer NOT NULL,
	`lease_until` integer,
	`lease_owner` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `queue_messages_available_idx` ON `queue_messages` (`available_at`,`id`);--> statement-breakpoint
CREATE INDEX `queue_messages_ordering_idx` ON `queue_messages` (`ordering_key`,`id`);--> statement-breakpoint
CREATE TABLE `remote_actors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uri` text NOT NULL,
	`handle` text,
	`name` text,
	`url` text NOT NULL,
	`icon_url` text,
	`inbox` text NOT NULL,
	`shared_inbox` text,
	`host` text NOT NULL,
	`updated` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `remote_actors_uri_unique` ON `remote_actors` (`uri`);--> statement-breakpoint
CREATE INDEX `remote_actors_host_idx` ON `remote_actors` (`host`);--> statement-breakpoint
-- drizzle-kit drops ON DELETE when it adds a reference with ALTER TABLE; restored by hand.
ALTER TABLE `signatures` ADD `remote_actor_id` integer REFERENCES remote_actors(id) ON DELETE set null;--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_declaration_actor_unique` ON `signatures` (`declaration_id`,`remote_actor_id`);