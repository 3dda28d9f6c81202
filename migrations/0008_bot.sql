CREATE TABLE `bot_apps` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`origin` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`scopes` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_sealed` text NOT NULL,
	`software` text DEFAULT '' NOT NULL,
	`version` text DEFAULT '' NOT NULL,
	`supports_pkce` integer DEFAULT false NOT NULL,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bot_apps_origin_unique` ON `bot_apps` (`origin`,`redirect_uri`,`scopes`);--> statement-breakpoint
CREATE TABLE `bot_authorizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`state_hash` text NOT NULL,
	`account_id` integer NOT NULL,
	`app_id` integer NOT NULL,
	`code_verifier_sealed` text,
	`created` integer NOT NULL,
	`expires` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`app_id`) REFERENCES `bot_apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bot_authorizations_state_unique` ON `bot_authorizations` (`state_hash`);--> statement-breakpoint
CREATE INDEX `bot_authorizations_expires_idx` ON `bot_authorizations` (`expires`);--> statement-breakpoint
CREATE TABLE `bot_connections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer NOT NULL,
	`app_id` integer NOT NULL,
	`remote_id` text NOT NULL,
	`acct` text NOT NULL,
	`display_name` text DEFAULT '' NOT NULL,
	`url` text NOT NULL,
	`avatar` text DEFAULT '' NOT NULL,
	`token_sealed` text,
	`scope` text DEFAULT '' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`status_reason` text,
	`plan` text,
	`enabled` integer DEFAULT false NOT NULL,
	`needs_sync` integer DEFAULT false NOT NULL,
	`created` integer NOT NULL,
	`updated` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`app_id`) REFERENCES `bot_apps`(`id`) ON UPDATE no action ON DELETE restrict
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bot_connections_remote_unique` ON `bot_connections` (`account_id`,`app_id`,`remote_id`);--> statement-breakpoint
CREATE INDEX `bot_connections_status_idx` ON `bot_connections` (`status`,`enabled`);--> statement-breakpoint
CREATE TABLE `bot_posts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`connection_id` integer NOT NULL,
	`slot_at` integer NOT NULL,
	`post_at` integer NOT NULL,
	`text` text NOT NULL,
	`spoiler_text` text DEFAULT '' NOT NULL,
	`visibility` text NOT NULL,
	`language` text DEFAULT '' NOT NULL,
	`media_id` integer,
	`media_alt` text DEFAULT '' NOT NULL,
	`idempotency_key` text NOT NULL,
	`state` text DEFAULT 'planned' NOT NULL,
	`via` text,
	`remote_id` text,
	`url` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`updated` integer NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `bot_connections`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`media_id`) REFERENCES `media`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bot_posts_slot_unique` ON `bot_posts` (`connection_id`,`slot_at`);--> statement-breakpoint
CREATE INDEX `bot_posts_due_idx` ON `bot_posts` (`state`,`next_attempt_at`);