// A durable JetStream pull consumer processed in batches: messages that arrive together are handled together
// (one database transaction), then acknowledged. Nothing is acknowledged before its batch is committed, so a
// crash only causes redelivery.
import { decodeEvent } from '@whatisup/bus';
import type { EventEnvelope } from '@whatisup/contracts';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from 'nats';
import type { Logger } from 'pino';

const nanos = (ms: number) => ms * 1_000_000;

export async function ensureDurableConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  ackWaitMs: number,
): Promise<void> {
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
    max_ack_pending: 20_000,
  };
  try {
    await jsm.consumers.info(stream, durable);
    await jsm.consumers.update(stream, durable, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    });
  } catch (error) {
    if ((error as { code?: string }).code !== '404') throw error;
    await jsm.consumers.add(stream, config);
  }
}

export interface BatchConsumerOptions {
  js: JetStreamClient;
  stream: string;
  durable: string;
  maxBatch: number;
  logger: Logger;
  /** Applies a batch of events (in stream order); throwing makes the whole batch redelivered later. */
  handle(events: EventEnvelope[]): Promise<void>;
}

export interface BatchConsumer {
  stop(): Promise<void>;
}

export async function startBatchConsumer(options: BatchConsumerOptions): Promise<BatchConsumer> {
  const { logger } = options;
  const consumer = await options.js.consumers.get(options.stream, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: options.maxBatch * 2 });
  const buffer: JsMsg[] = [];
  let flushing: Promise<void> | null = null;
  let scheduled = false;

  async function flush(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.splice(0, options.maxBatch);
      const events: EventEnvelope[] = [];
      const valid: JsMsg[] = [];
      for (const message of batch) {
        try {
          events.push(decodeEvent(message.data));
          valid.push(message);
        } catch (error) {
          logger.error(
            { err: error, subject: message.subject, seq: message.seq },
            'undecodable event dropped',
          );
          message.term();
        }
      }
      try {
        await options.handle(events);
        for (const message of valid) message.ack();
      } catch (error) {
        logger.error(
          { err: error, consumer: options.durable, events: events.length },
          'event batch failed; will be redelivered',
        );
        for (const message of valid) message.nak(1_000);
      }
    }
  }

  function scheduleFlush(): void {
    if (scheduled || flushing) return;
    scheduled = true;
    // Let every message already read from the socket join the batch.
    setImmediate(() => {
      scheduled = false;
      flushing = flush().finally(() => {
        flushing = null;
        if (buffer.length > 0) scheduleFlush();
      });
    });
  }

  const reading = (async () => {
    for await (const message of messages) {
      buffer.push(message);
      scheduleFlush();
      while (buffer.length >= options.maxBatch && (flushing || scheduled)) {
        await (flushing ?? new Promise((resolve) => setImmediate(resolve)));
      }
    }
  })();

  return {
    async stop() {
      messages.stop();
      await reading.catch(() => {});
      while (flushing || scheduled) await (flushing ?? new Promise((resolve) => setImmediate(resolve)));
      if (buffer.length > 0) await flush();
    },
  };
}
