CREATE TABLE `pow_solutions` (
	`id` text PRIMARY KEY NOT NULL,
	`expires` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pow_solutions_expires_idx` ON `pow_solutions` (`expires`);