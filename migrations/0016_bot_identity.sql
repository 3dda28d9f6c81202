PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_bot_authorizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`state_hash` text NOT NULL,
	`account_id` integer,
	`browser_hash` text DEFAULT '' NOT NULL,
	`app_id` integer NOT NULL,
	`code_verifier_sealed` text,
	`created` integer NOT NULL,
	`expires` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`app_id`) REFERENCES `bot_apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_bot_authorizations`("id", "state_hash", "account_id", "app_id", "code_verifier_sealed", "created", "expires") SELECT "id", "state_hash", "account_id", "app_id", "code_verifier_sealed", "created", "expires" FROM `bot_authorizations`;--> statement-breakpoint
DROP TABLE `bot_authorizations`;--> statement-breakpoint
ALTER TABLE `__new_bot_authorizations` RENAME TO `bot_authorizations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `bot_authorizations_state_unique` ON `bot_authorizations` (`state_hash`);--> statement-breakpoint
CREATE INDEX `bot_authorizations_expires_idx` ON `bot_authorizations` (`expires`);--> statement-breakpoint
CREATE TABLE `__new_bot_connections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` integer,
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
INSERT INTO `__new_bot_connections`("id", "account_id", "app_id", "remote_id", "acct", "display_name", "url", "avatar", "token_sealed", "scope", "status", "status_reason", "plan", "enabled", "needs_sync", "created", "updated") SELECT "id", "account_id", "app_id", "remote_id", "acct", "display_name", "url", "avatar", "token_sealed", "scope", "status", "status_reason", "plan", "enabled", "needs_sync", "created", "updated" FROM `bot_connections`;--> statement-breakpoint
CREATE TABLE `__keep_bot_posts` AS SELECT * FROM `bot_posts`;--> statement-breakpoint
DROP TABLE `bot_connections`;--> statement-breakpoint
ALTER TABLE `__new_bot_connections` RENAME TO `bot_connections`;--> statement-breakpoint
INSERT OR IGNORE INTO `bot_posts` SELECT * FROM `__keep_bot_posts`;--> statement-breakpoint
DROP TABLE `__keep_bot_posts`;--> statement-breakpoint
CREATE UNIQUE INDEX `bot_connections_remote_unique` ON `bot_connections` (`account_id`,`app_id`,`remote_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `bot_connections_identity_unique` ON `bot_connections` (`app_id`,`remote_id`) WHERE account_id IS NULL;--> statement-breakpoint
CREATE INDEX `bot_connections_status_idx` ON `bot_connections` (`status`,`enabled`);--> statement-breakpoint
CREATE TABLE `bot_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` text NOT NULL,
	`connection_id` integer NOT NULL,
	`created` integer NOT NULL,
	`expires` integer NOT NULL,
	FOREIGN KEY (`connection_id`) REFERENCES `bot_connections`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bot_sessions_token_unique` ON `bot_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `bot_sessions_connection_idx` ON `bot_sessions` (`connection_id`);--> statement-breakpoint
CREATE INDEX `bot_sessions_expires_idx` ON `bot_sessions` (`expires`);
