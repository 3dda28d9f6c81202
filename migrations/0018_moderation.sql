CREATE TABLE `moderation_actions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`declaration_id` integer,
	`slug` text NOT NULL,
	`title` text NOT NULL,
	`owner_id` integer,
	`action` text NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`by_id` integer,
	`created` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`owner_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`by_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `moderation_actions_owner_idx` ON `moderation_actions` (`owner_id`,`id`);--> statement-breakpoint
CREATE INDEX `moderation_actions_declaration_idx` ON `moderation_actions` (`declaration_id`);--> statement-breakpoint
CREATE TABLE `visitor_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`declaration_id` integer,
	`reason` text NOT NULL,
	`created` integer NOT NULL,
	`resolved` integer,
	`resolution` text,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `visitor_reports_declaration_idx` ON `visitor_reports` (`declaration_id`);--> statement-breakpoint
ALTER TABLE `declarations` ADD `hidden` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `declarations` ADD `words_changed` integer;--> statement-breakpoint
ALTER TABLE `fed_reports` ADD `resolution` text;