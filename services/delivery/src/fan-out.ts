// Fan-out: one delivery per (event, endpoint of the event's customer whose filter matches).
import { type EventEnvelope, newId } from '@whatisup/contracts';
import type { FanOutEndpoint, NewDelivery } from '@whatisup/db';

export function planDeliveries(events: EventEnvelope[], endpoints: FanOutEndpoint[]): NewDelivery[] {
  const byCustomer = new Map<string, FanOutEndpoint[]>();
  for (const endpoint of endpoints) {
    const list = byCustomer.get(endpoint.customerId) ?? [];
    list.push(endpoint);
    byCustomer.set(endpoint.customerId, list);
  }
  const rows: NewDelivery[] = [];
  for (const event of events) {
    const payload = JSON.stringify(event);
    for (const endpoint of byCustomer.get(event.customer_id) ?? []) {
      if (endpoint.events.length > 0 && !endpoint.events.includes(event.type)) continue;
      rows.push({
        id: newId('webhookDelivery'),
        customerId: event.customer_id,
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        payload,
      });
    }
  }
  return rows;
}
