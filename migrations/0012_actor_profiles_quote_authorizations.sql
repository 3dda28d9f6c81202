CREATE TABLE `actor_profiles` (
	`declaration_id` integer PRIMARY KEY NOT NULL,
	`fingerprint` text NOT NULL,
	`sent` integer,
	`updated` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `fed_quote_authorizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`declaration_id` integer NOT NULL,
	`post_id` integer NOT NULL,
	`interacting_object` text NOT NULL,
	`actor_uri` text NOT NULL,
	`request_uri` text,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`post_id`) REFERENCES `fed_posts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fed_quote_authorizations_uuid_unique` ON `fed_quote_authorizations` (`uuid`);--> statement-breakpoint
CREATE UNIQUE INDEX `fed_quote_authorizations_post_object_unique` ON `fed_quote_authorizations` (`post_id`,`interacting_object`);