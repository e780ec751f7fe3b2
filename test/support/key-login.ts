/**
 * The security-key step of a login as a test drives it over HTTP: whether a page is that step,
 * the options its script would give the browser, and the form post with the browser's answer.
 */
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { inputValue, type Page } from './browser.js';
import type { AuthorizationStart } from './flows.js';

/** The options (PublicKeyCredentialRequestOptionsJSON) the page carries for `navigator.credentials.get()`. */
export function requestOptionsIn(page: Page): PublicKeyCredentialRequestOptionsJSON {
  const match = /<script type="application\/json" id="webauthn-options">([\s\S]*?)<\/script>/.exec(page.body);
  if (!match) throw new Error(`no WebAuthn options on the page (status ${page.status}): ${page.body.slice(0, 400)}`);
  return JSON.parse(match[1] as string) as PublicKeyCredentialRequestOptionsJSON;
}

/** Whether the page is the security-key step: its form posts to /security-key and is marked for the ceremony. */
export const isKeyStep = (page: Page): boolean =>
  [...page.body.matchAll(/<form[^>]*>/g)].some(([tag]) => tag.includes('data-webauthn="authenticate"') && /action="\/interaction\/[^"]+\/security-key"/.test(tag));

/** Posts the browser's answer (a credential, or what the page's script sends when there is none) to the step. */
export function postAssertion(start: AuthorizationStart, page: Page, credential: unknown): Promise<Page> {
  return start.browser.request(`${start.interactionUrl}/security-key`, {
    form: { csrf: inputValue(page.body, 'csrf'), credential: typeof credential === 'string' ? credential : JSON.stringify(credential) },
  });
}
