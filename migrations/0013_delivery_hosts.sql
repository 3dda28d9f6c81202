CREATE TABLE `queue_hosts` (
	`host` text PRIMARY KEY NOT NULL,
	`failures` text DEFAULT '[]' NOT NULL,
	`failing_since` integer NOT NULL,
	`held_until` integer,
	`hold_ms` integer
);
--> statement-breakpoint
ALTER TABLE `queue_messages` ADD `host` text;--> statement-breakpoint
CREATE INDEX `queue_messages_host_idx` ON `queue_messages` (`host`);--> statement-breakpoint
CREATE INDEX `queue_messages_leased_idx` ON `queue_messages` (`lease_until`) WHERE lease_until IS NOT NULL;