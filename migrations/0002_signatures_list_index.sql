DROP INDEX `signatures_public_idx`;--> statement-breakpoint
DROP INDEX `signatures_declaration_status_idx`;--> statement-breakpoint
CREATE INDEX `signatures_list_idx` ON `signatures` (`declaration_id`,`status`,`public`,`id`);