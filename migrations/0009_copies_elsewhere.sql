CREATE TABLE `remote_copies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`declaration_id` integer NOT NULL,
	`actor_iri` text NOT NULL,
	`article_iri` text NOT NULL,
	`url` text NOT NULL,
	`host` text NOT NULL,
	`title` text NOT NULL,
	`source_revision` integer NOT NULL,
	`revision` integer NOT NULL,
	`revision_url` text NOT NULL,
	`words_changed` integer DEFAULT 0 NOT NULL,
	`signature_count` integer,
	`status` text DEFAULT 'ok' NOT NULL,
	`created` integer NOT NULL,
	`checked` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `remote_copies_article_unique` ON `remote_copies` (`article_iri`);--> statement-breakpoint
CREATE INDEX `remote_copies_declaration_idx` ON `remote_copies` (`declaration_id`,`id`);--> statement-breakpoint
CREATE TABLE `remote_revisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`url` text NOT NULL,
	`article_iri` text NOT NULL,
	`actor_iri` text NOT NULL,
	`number` integer NOT NULL,
	`title` text NOT NULL,
	`summary` text DEFAULT '' NOT NULL,
	`body` text NOT NULL,
	`format` text NOT NULL,
	`via_url` text,
	`fetched` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `remote_revisions_url_unique` ON `remote_revisions` (`url`);--> statement-breakpoint
CREATE INDEX `remote_revisions_article_idx` ON `remote_revisions` (`article_iri`,`number`);--> statement-breakpoint
CREATE TABLE `remote_sources` (
	`declaration_id` integer PRIMARY KEY NOT NULL,
	`actor_iri` text NOT NULL,
	`inbox` text NOT NULL,
	`shared_inbox` text,
	`article_iri` text NOT NULL,
	`latest_revision` integer NOT NULL,
	`latest_url` text NOT NULL,
	`signature_count` integer,
	`status` text DEFAULT 'ok' NOT NULL,
	`checked` integer NOT NULL,
	FOREIGN KEY (`declaration_id`) REFERENCES `declarations`(`id`) ON UPDATE no action ON DELETE cascade
);
