CREATE TABLE "translations" (
	"declaration_id" integer PRIMARY KEY NOT NULL,
	"original_id" integer NOT NULL,
	"original_revision" integer NOT NULL,
	"language" text NOT NULL,
	"created" timestamp (3) with time zone NOT NULL,
	"updated" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "translations" ADD CONSTRAINT "translations_declaration_id_declarations_id_fk" FOREIGN KEY ("declaration_id") REFERENCES "public"."declarations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "translations" ADD CONSTRAINT "translations_original_id_declarations_id_fk" FOREIGN KEY ("original_id") REFERENCES "public"."declarations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "translations_original_language_unique" ON "translations" USING btree ("original_id","language");