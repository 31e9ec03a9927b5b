CREATE TABLE "bus_consumer_acks" (
	"consumer" text NOT NULL,
	"seq" bigint NOT NULL,
	CONSTRAINT "bus_consumer_acks_consumer_seq_pk" PRIMARY KEY("consumer","seq")
);
--> statement-breakpoint
CREATE TABLE "bus_consumers" (
	"name" text PRIMARY KEY NOT NULL,
	"ack_floor" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bus_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "bus_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" text NOT NULL,
	"subject" text NOT NULL,
	"customer_id" text NOT NULL,
	"payload" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bus_events_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE INDEX "bus_events_customer_seq_idx" ON "bus_events" USING btree ("customer_id","seq");--> statement-breakpoint
CREATE INDEX "bus_events_created_at_idx" ON "bus_events" USING btree ("created_at");