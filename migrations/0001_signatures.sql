CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signatures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`declaration_id` integer NOT NULL,
	`revision` integer NOT NULL,
	`first_revision` integer NOT NULL,
	`kind` text DEFAULT 'browser' NOT NULL,
	`status` text NOT NULL,
	`name` text,
	`place` text,
	`website` text,
	`comment` text,
	`email` text,
	`email_hash` text,
	`public` integer NOT NULL,
	`token_hash` text NOT NULL,
	`confirm_token_hash` text,
	`confirm_expires` integer,
	`created` integer NOT NULL,
	`confirmed` integer,
	`resigned` integer,
	`withdrawn` integer,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_token_hash_unique` ON `signatures` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_confirm_token_hash_unique` ON `signatures` (`confirm_token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `signatures_declaration_email_unique` ON `signatures` (`declaration_id`,`email_hash`);--> statement-breakpoint
CREATE INDEX `signatures_public_idx` ON `signatures` (`declaration_id`,`id`) WHERE status = 'confirmed' AND public = 1;--> statement-breakpoint
CREATE INDEX `signatures_pending_idx` ON `signatures` (`confirm_expires`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `signatures_declaration_status_idx` ON `signatures` (`declaration_id`,`status`);