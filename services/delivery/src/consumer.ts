// A durable consumer of the bus's event log processed in batches: messages that arrive together are handled together
// (one database transaction), then acknowledged. Nothing is acknowledged before its batch is committed, so a
// crash only causes redelivery.
import { type Bus, type ConsumedEvent, decodeEvent } from '@whatisup/bus';
import type { EventEnvelope } from '@whatisup/contracts';
import type { Logger } from 'pino';

export interface BatchConsumerOptions {
  bus: Bus;
  durable: string;
  /** How long the bus waits for an ack before redelivering an event (to another replica after a crash). */
  ackWaitMs: number;
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
  const messages = await options.bus.consume(options.durable, {
    ackWaitMs: options.ackWaitMs,
    maxMessages: options.maxBatch * 2,
  });
  const buffer: ConsumedEvent[] = [];
  let flushing: Promise<void> | null = null;
  let scheduled = false;

  async function flush(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.splice(0, options.maxBatch);
      const events: EventEnvelope[] = [];
      const valid: ConsumedEvent[] = [];
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
