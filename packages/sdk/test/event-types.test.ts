// The sdk mirrors the event contract so customers need none of our internal packages; this keeps the copy
// exact. `pnpm typecheck` fails when @whatisup/contracts changes an event and the sdk does not follow.
import {
  EVENT_TYPES as CONTRACT_EVENT_TYPES,
  type EventEnvelope as ContractEnvelope,
  type EventData as ContractEventData,
  type EventType as ContractEventType,
  type WebhookTestEvent as ContractWebhookTestEvent,
  type eventDataSchemas,
  type INSTANCE_STATUSES,
  makeEvent,
  makeWebhookTestEvent,
  type SEND_ERROR_CODES,
} from '@whatisup/contracts';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  EVENT_TYPES,
  type EventData,
  type EventDataByType,
  type EventType,
  type InstanceStatus,
  type SendErrorCode,
  signWebhook,
  verifyWebhook,
  type WebhookTestEvent,
} from '../src/index.ts';

type Typed = keyof typeof eventDataSchemas;

describe('the sdk event types equal the contract', () => {
  it('lists the same event types, statuses and send error codes', () => {
    expect(EVENT_TYPES).toEqual(CONTRACT_EVENT_TYPES);
    expectTypeOf<EventType>().toEqualTypeOf<ContractEventType>();
    expectTypeOf<InstanceStatus>().toEqualTypeOf<(typeof INSTANCE_STATUSES)[number]>();
    expectTypeOf<SendErrorCode>().toEqualTypeOf<(typeof SEND_ERROR_CODES)[number]>();
  });

  it('has the same data for every typed event, and no typed event the contract lacks', () => {
    expectTypeOf<keyof EventDataByType>().toEqualTypeOf<Typed>();
    expectTypeOf<{ [T in Typed]: EventData<T> }>().toEqualTypeOf<{ [T in Typed]: ContractEventData<T> }>();
    expectTypeOf<WebhookTestEvent>().toEqualTypeOf<ContractWebhookTestEvent>();
  });

  it('verifies envelopes built by the contract factories', () => {
    const secret = `whsec_${Buffer.from('k'.repeat(32)).toString('base64')}`;
    const events: (ContractEnvelope | ContractWebhookTestEvent)[] = [
      makeEvent(
        'message.sent',
        { customerId: 'cus_1', instanceId: 'ins_1' },
        { message_id: 'msg_1', wa_message_id: 'W1', to: '4915112345678' },
      ),
      makeWebhookTestEvent('cus_1', 'whe_1'),
    ];
    for (const event of events) {
      const body = JSON.stringify(event);
      expect(verifyWebhook(body, signWebhook({ id: event.id, body, secret }), secret)).toEqual(event);
    }
  });
});
