ALTER TABLE `bot_apps` ADD `scheduling` text;--> statement-breakpoint
ALTER TABLE `bot_apps` ADD `scheduling_reason` text;--> statement-breakpoint
ALTER TABLE `bot_apps` ADD `scheduling_learned` integer;