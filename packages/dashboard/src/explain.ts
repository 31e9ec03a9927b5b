// Plain words for states and error codes, with what to do (from the product's troubleshooting page).
import type { InstanceStatus } from '@whatisup/sdk';

export const STATUS_LABEL: Record<InstanceStatus, string> = {
  created: 'Created',
  connecting: 'Connecting',
  qr_required: 'Waiting for scan',
  connected: 'Connected',
  disconnected: 'Disconnected',
  qr_timeout: 'QR expired',
  auth_state_unreadable: 'Session unreadable',
};

export const STATUS_TONE: Record<InstanceStatus, 'ok' | 'wait' | 'warn' | 'bad' | 'idle'> = {
  created: 'idle',
  connecting: 'wait',
  qr_required: 'wait',
  connected: 'ok',
  disconnected: 'warn',
  qr_timeout: 'warn',
  auth_state_unreadable: 'bad',
};

export interface Explanation {
  title: string;
  why: string;
  todo: string;
}

/** The instance's last error (a reason code from the worker) in plain words. */
export function explainInstanceError(code: string, message: string): Explanation {
  switch (code) {
    case 'logged_out':
      return {
        title: 'The number was logged out',
        why: `${message} Either someone pressed Log out here or in the API, or the device was unlinked on the phone.`,
        todo: 'The session was wiped; link the number again with a new QR code.',
      };
    case 'session_invalidated':
    case 'device_removed':
    case 'connection_replaced':
      return {
        title: 'WhatsApp ended this session',
        why:
          code === 'connection_replaced'
            ? 'Another WhatsApp Web session for this number bumped ours off: only one Web session per number is allowed.'
            : code === 'device_removed'
              ? 'The device was unlinked from "Linked devices" on the phone.'
              : `${message} Usual reasons: someone opened WhatsApp Web with this number (only one Web session per number), the device was unlinked on the phone, or the number was set up on a fresh install on another phone.`,
        todo: 'The session was wiped; link the number again with a new QR code below. If this keeps happening, make sure nobody opens web.whatsapp.com with this number.',
      };
    case 'qr_timeout':
      return {
        title: 'Nobody scanned the QR code in time',
        why: 'QR codes rotate about every 30 seconds and the instance stops offering new ones after a few rotations.',
        todo: 'Press "New QR code" and scan it within 30 seconds: on the phone, WhatsApp → Settings → Linked devices → Link a device.',
      };
    case 'connection_lost':
      return {
        title: 'The connection to WhatsApp dropped',
        why: message,
        todo: 'It reconnects by itself. If it stays disconnected, press Restart; if that does not help, check /readyz.',
      };
    case 'auth_state_unreadable':
      return {
        title: "The stored session can't be read",
        why: `${message} The session files exist but the worker cannot read them (wrong owner or permissions on the volume, or corruption).`,
        todo: 'Fix the ownership or permissions of data/sessions/ on the worker volume, then press Restart. No new QR is offered so the existing link is not lost.',
      };
    case 'pairing_interrupted':
      return {
        title: 'Linking was interrupted',
        why: message,
        todo: 'Fetch a new QR code and scan it again.',
      };
    default:
      return {
        title: 'Last problem',
        why: message,
        todo: 'Press Restart; if it persists, contact support with the instance id.',
      };
  }
}

/** A 409 qr_unavailable in plain words, by the instance's status. */
export function explainNoQr(status: string | undefined, message: string): Explanation {
  switch (status) {
    case 'connected':
      return {
        title: 'Already linked',
        why: 'This number is linked: no QR code is needed.',
        todo: 'Send a test message below.',
      };
    case 'connecting':
    case 'created':
    case 'qr_required':
      return {
        title: 'A QR code is on its way',
        why: message,
        todo: 'It appears here by itself within seconds. If nothing comes for a minute, WhatsApp may be rate-limiting this number: wait 5–10 minutes, then press New QR code.',
      };
    case 'auth_state_unreadable':
      return explainInstanceError('auth_state_unreadable', message);
    default:
      return {
        title: 'No QR code right now',
        why: message,
        todo: 'Wait a few seconds; it appears here by itself.',
      };
  }
}

export const SEND_ERROR_TEXT: Record<string, string> = {
  rate_limited: 'WhatsApp rate-limited this number. Slow down and retry later.',
  recipient_not_on_whatsapp: 'The recipient is not on WhatsApp. Check the number (country code, no +).',
  not_connected: 'The instance was not connected when the message was sent. Link it, then send again.',
  instance_not_connected: 'The instance is not connected yet. Link it first (scan the QR code).',
  timeout: 'WhatsApp did not confirm in time. Check the instance and send again.',
  media_fetch_failed: 'The media URL could not be downloaded. Check it is public and reachable.',
  unknown: 'WhatsApp refused the message without a reason.',
};

/** The API's own MSISDN rule and words (services/gateway/src/routes/v1/instances/schema.ts). */
export const MSISDN = /^[1-9][0-9]{7,14}$/;
export const MSISDN_MESSAGE =
  'to must be the number with its country code, digits only: 8 to 15 digits, no "+", spaces, dashes or brackets (e.g. 4915123456789)';

export function timeAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}
