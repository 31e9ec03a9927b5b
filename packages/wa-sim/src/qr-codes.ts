// QR codes on offer: what the screens of registering companions show, so a phone (the demo page) can scan one.
// The simulator issues the refs but not the companion's ADV secret (it never leaves the companion, as with
// WhatsApp), so a screen reports the full QR string it shows; the list keeps the newest one per registration.
import type { SimulatorCore } from './core.ts';
import { parseQr } from './pairing.ts';
import type { Registration } from './session-context.ts';

export const MAX_QR_LENGTH = 1024;
/** A QR shown without an expiry lives this long (Baileys shows its first QR for 60 s by default). */
export const DEFAULT_QR_LIFETIME_MS = 60_000;
export const MAX_QR_LIFETIME_MS = 10 * 60_000;
const MAX_SHOWN = 1_000;

export interface QrOnOffer {
  /** The registering companion's connection (one per "Link a device" screen). */
  connectionId: number;
  ref: string;
  /** The string to scan, as the companion's screen shows it. */
  qr: string;
  platform: string;
  shownAt: number;
  expiresAt: number;
}

interface Shown {
  registration: Registration;
  offer: QrOnOffer;
}

export class QrScreens {
  readonly #core: SimulatorCore;
  /** Newest QR per registration, in the order they were first shown. */
  readonly #shown = new Map<Registration, Shown>();

  constructor(core: SimulatorCore) {
    this.#core = core;
  }

  /** A companion's screen shows `qr` (as Baileys emitted it) until `expiresAt` (epoch ms). */
  show(qr: string, expiry?: number): QrOnOffer {
    if (qr.length > MAX_QR_LENGTH) throw new Error(`qr: longer than ${MAX_QR_LENGTH} characters`);
    const now = Date.now();
    const expiresAt = expiry ?? now + DEFAULT_QR_LIFETIME_MS;
    if (!Number.isFinite(expiresAt) || expiresAt <= now || expiresAt > now + MAX_QR_LIFETIME_MS)
      throw new Error(`expiresAt: expected a time within the next ${MAX_QR_LIFETIME_MS / 60_000} minutes`);
    const parsed = parseQr(qr);
    const registration = this.#core.registrationsByRef.get(parsed.ref);
    if (!registration || !live(registration)) throw new Error('QR ref unknown or expired');
    if (
      !registration.noiseKey.equals(parsed.noiseKey) ||
      !registration.identityKey.equals(parsed.identityKey)
    ) {
      throw new Error('QR keys do not match the registering companion');
    }
    const offer: QrOnOffer = {
      connectionId: registration.connection.id,
      ref: parsed.ref,
      qr,
      platform: registration.platform,
      shownAt: now,
      expiresAt,
    };
    // a rotation replaces the registration's previous QR
    this.#shown.delete(registration);
    this.#shown.set(registration, { registration, offer });
    if (this.#shown.size > MAX_SHOWN) this.#shown.delete(this.#shown.keys().next().value!);
    return offer;
  }

  /** QR codes that can be scanned now, oldest screen first. */
  list(): QrOnOffer[] {
    const now = Date.now();
    const out: QrOnOffer[] = [];
    for (const [registration, { offer }] of this.#shown) {
      if (!live(registration) || offer.expiresAt <= now) this.#shown.delete(registration);
      else out.push(offer);
    }
    return out;
  }
}

function live(registration: Registration): boolean {
  return !registration.paired && !registration.connection.closed;
}
