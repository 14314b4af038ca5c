// A team outside Tsunagu subscribing to its events (docs/subscribing.md walks through it).
//
// It joins its own consumer group, checks every record against the JSON Schemas
// Tsunagu publishes (docs/schemas: the CloudEvents envelope, then the event's data
// by type and schema version), skips an event it has already handled (by event
// id), and reacts to ScoutSent and OfferIssued by printing one JSON line each.
// Everything it says is a JSON line on stdout, so a test (or a log pipeline) can read it.

import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import Ajv2020, { ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { Kafka, KafkaConfig, logLevel, SASLOptions } from "kafkajs";

interface Envelope {
  id: string;
  type: string;
  subject: string;
  time: string;
  schemaversion: number;
  correlationid: string;
  data: Record<string, unknown>;
}

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === "") throw new Error(`set ${name}`);
  return value;
};

const say = (line: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify(line) + "\n");
};

// --- the published contracts ---------------------------------------------------------

class Contracts {
  private readonly envelope: ValidateFunction;
  private readonly events = new Map<string, ValidateFunction>(); // "<Type>.v<N>" -> validator

  constructor(schemasDir: string) {
    // Tsunagu's schemas carry x-* annotations (topic, subject field): not keywords, so strict is off.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    this.envelope = ajv.compile(JSON.parse(readFileSync(join(schemasDir, "envelope.v1.json"), "utf8")));
    const eventsDir = join(schemasDir, "events");
    for (const file of readdirSync(eventsDir).filter((f) => f.endsWith(".json"))) {
      this.events.set(file.replace(/\.json$/, ""), ajv.compile(JSON.parse(readFileSync(join(eventsDir, file), "utf8"))));
    }
  }

  // The envelope if valid, or the reason it is not; null when the event is of a type or version we have no schema for.
  check(value: unknown): { envelope?: Envelope; problem?: string } | null {
    if (!this.envelope(value)) return { problem: `envelope: ${describe(this.envelope)}` };
    const envelope = value as Envelope;
    const validate = this.events.get(`${envelope.type}.v${envelope.schemaversion}`);
    if (!validate) return null;
    if (!validate(envelope.data)) return { problem: `${envelope.type}: ${describe(validate)}` };
    return { envelope };
  }
}

const describe = (validate: ValidateFunction): string =>
  (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");

// --- what this subscriber does with the two events it cares about ---------------------

const reactions: Record<string, (e: Envelope) => Record<string, unknown>> = {
  ScoutSent: (e) => ({
    reaction: "scout-sent", event_id: e.id, candidate_id: e.data.candidate_id, company: e.data.company_name,
    scout_id: e.data.scout_id,
  }),
  OfferIssued: (e) => ({
    reaction: "offer-issued", event_id: e.id, candidate_id: e.data.candidate_id, offer_id: e.data.offer_id,
    company_id: e.data.company_id,
  }),
};

// --- Kafka -------------------------------------------------------------------------------

function kafkaConfig(): KafkaConfig {
  const config: KafkaConfig = {
    clientId: env("CLIENT_ID", "subscriber-example"),
    brokers: env("KAFKA_BROKERS").split(","),
    logLevel: logLevel.ERROR,
  };
  const mechanism = process.env.KAFKA_SASL_MECHANISM; // scram-sha-512 in production, plain on the local stack
  if (mechanism) {
    config.sasl = { mechanism, username: env("KAFKA_USERNAME"), password: env("KAFKA_PASSWORD") } as SASLOptions;
  }
  if (process.env.KAFKA_SSL_CA_FILE) config.ssl = { ca: [readFileSync(process.env.KAFKA_SSL_CA_FILE, "utf8")] };
  else if (process.env.KAFKA_SSL === "true") config.ssl = true;
  return config;
}

async function main(): Promise<void> {
  const contracts = new Contracts(env("SCHEMAS_DIR"));
  const prefix = process.env.TOPIC_PREFIX ?? "";
  const groupId = env("GROUP_ID"); // our own group: never one of Tsunagu's
  const topics = ["scout.events", "messaging.events"].map((t) => prefix + t);
  // A real subscriber keeps handled ids in its own store, in the same transaction as its effect.
  const handled = new Set<string>();

  const kafka = new Kafka(kafkaConfig());
  const consumer = kafka.consumer({ groupId });
  consumer.on(consumer.events.GROUP_JOIN, (e) => say({ joined: groupId, member: e.payload.memberId }));
  const stop = async () => {
    await consumer.disconnect();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: process.env.FROM_BEGINNING === "true" });
  // eachMessage handles one partition's records one at a time, in order: the order of one key (one subject).
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const where = { topic, partition, offset: message.offset };
      let value: unknown;
      try {
        value = JSON.parse(message.value?.toString("utf8") ?? "");
      } catch {
        say({ ...where, invalid: "not JSON" }); // a real subscriber parks it in its own dead-letter store
        return;
      }
      const checked = contracts.check(value);
      if (checked === null) return; // a type or version we do not know: not ours to judge
      if (checked.problem || !checked.envelope) {
        say({ ...where, invalid: checked.problem });
        return;
      }
      const envelope = checked.envelope;
      const react = reactions[envelope.type];
      if (!react) return;
      if (handled.has(envelope.id)) {
        say({ ...where, duplicate: envelope.id });
        return;
      }
      say({ ...where, key: message.key?.toString("utf8"), ...react(envelope) });
      handled.add(envelope.id);
    },
  });
}

main().catch((error: Error) => {
  process.stderr.write(`subscriber: ${error.message}\n`);
  process.exit(1);
});
