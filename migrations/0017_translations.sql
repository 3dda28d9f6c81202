CREATE TABLE `translations` (
	`declaration_id` integer PRIMARY KEY NOT NULL,
	`original_id` integer NOT NULL,
	`original_revision` integer NOT NULL,
	`language` text NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`original_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `translations_original_language_unique` ON `translations` (`original_id`,`language`);