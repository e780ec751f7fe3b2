/**
 * Chromium's DevTools virtual authenticator (the WebAuthn domain of the DevTools protocol):
 * a security key or platform passkey that answers every ceremony on its page at once, with
 * user presence and verification, so browser journeys register and use keys for real.
 */
import type { CDPSession, Page } from 'playwright-core';

export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
}

/** 'usb': a CTAP2 security key; 'internal': the device's own passkey store. Both keep resident keys and verify their user. */
export async function addVirtualAuthenticator(page: Page, transport: 'usb' | 'internal'): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}
