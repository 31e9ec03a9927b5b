// The delivery service with its HTTP side (/healthz /readyz /metrics), on connections the caller made: main.ts
// runs it as its own process, the one-process mode (services/standalone) next to the gateway and a worker.
import type { Bus } from '@whatisup/bus';
import type { DbHandle, SecretBox } from '@whatisup/db';
import { listen } from '@whatisup/service-kit';
import type { Logger } from 'pino';
import type { DeliveryEnv } from './env.ts';
import { createHttpApp } from './http.ts';
import { type DeliveryConfig, type DeliveryService, startDeliveryService } from './service.ts';

export function deliveryConfig(env: DeliveryEnv): DeliveryConfig {
  return {
    scheduleMs: env.DELIVERY_SCHEDULE_MS,
    jitter: env.DELIVERY_JITTER,
    concurrency: env.DELIVERY_CONCURRENCY,
    endpointConcurrency: env.DELIVERY_ENDPOINT_CONCURRENCY,
    claimBatch: env.DELIVERY_CLAIM_BATCH,
    pollIntervalMs: env.DELIVERY_POLL_INTERVAL_MS,
    connectTimeoutMs: env.DELIVERY_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: env.DELIVERY_RESPONSE_TIMEOUT_MS,
    leaseMs: env.DELIVERY_LEASE_MS,
    eventBatch: env.DELIVERY_EVENT_BATCH,
    ackWaitMs: env.DELIVERY_ACK_WAIT_MS,
    allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  };
}

export interface DeliveryProcess {
  service: DeliveryService;
  /** Base URL of /healthz, /readyz and /metrics. */
  httpUrl: string;
  /** Stops consuming and dispatching (in-flight attempts finish), then the HTTP server. */
  stop(): Promise<void>;
}

export async function startDeliveryProcess(
  env: DeliveryEnv,
  deps: { db: DbHandle; bus: Bus; secretBox: SecretBox; logger: Logger },
): Promise<DeliveryProcess> {
  const service = await startDeliveryService({ ...deps, config: deliveryConfig(env) });
  const http = await listen(createHttpApp(service).fetch, env.PORT, env.HOST);
  deps.logger.info({ port: http.port, host: env.HOST }, 'delivery service listening');
  return {
    service,
    httpUrl: http.url,
    async stop() {
      await service.stop();
      await http.close();
    },
  };
}
