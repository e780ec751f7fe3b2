/**
 * When an existing session is not good enough and the user must log in again. Added to
 * oidc-provider's login prompt:
 *
 * - `acr_values` as a requirement, not a hint: a relying party that asks for a level gets a
 *   session at that level or an error, never less (OIDC Core treats acr_values as voluntary;
 *   CCASS Terminal relies on it). A client configured with `require_two_factor` (DMS) asks
 *   for the 2FA level on every request. A session at another level goes back to login, so a
 *   client that asks for 2FA never gets a smartcard login.
 * - The smartcard cut-off: a session opened by smartcard before the switch to `2fa-only`
 *   must log in again with password + OTP; with `prompt=none` the client gets login_required.
 */
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { PhasePolicy } from '../policy/phase-policy.js';
import type { Phase } from '../policy/phases.js';
import { phaseAllows, type ClientRequirement } from '../policy/access.js';
import { ACR, ACR_VALUES_SUPPORTED, acceptedLevels, acceptedMethods, levelsMetBy } from './assurance.js';
import { requiresPhishingResistant, requiresTwoFactor } from './clients.js';

const { base, Check } = interactionPolicy;

/**
 * The acr values a request asks for: its `acr_values`, and the values of an essential `acr`
 * claim in its `claims` parameter (OIDC Core 5.5.1.1) — both treated as requirements. The
 * claims parameter is on (src/oidc/provider.ts): before a request reaches the login prompt,
 * oidc-provider and src/oidc/claims-parameter.ts have refused a malformed one, so an essential
 * acr's `value` / `values` are strings here.
 */
export function requestedAcrValues(params: Record<string, unknown> | undefined): string[] {
  const raw = params?.['acr_values'];
  const listed = typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
  const claims = params?.['claims'];
  let essential: string[] = [];
  try {
    const parsed = (typeof claims === 'string' ? JSON.parse(claims) : claims) as { id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } } } | undefined;
    const acr = parsed?.id_token?.acr;
    if (acr?.essential) {
      essential = [...(Array.isArray(acr.values) ? acr.values : []), ...(acr.value !== undefined ? [acr.value] : [])].filter((value): value is string => typeof value === 'string');
    }
  } catch {
    // Not JSON: oidc-provider refuses it before any interaction; a caller outside a request gets nothing asked.
  }
  return [...new Set([...listed, ...essential])];
}

/** What a request of `client` accepts, from what it asked and how the client is configured. */
export function clientRequirement(params: Record<string, unknown> | undefined, client: { metadata(): Record<string, unknown> } | undefined, administration: boolean): ClientRequirement {
  const twoFactorOnly = client ? requiresTwoFactor(client) : false;
  const acrs = acceptedLevels(requestedAcrValues(params), { requiresTwoFactor: twoFactorOnly, requiresPhishingResistant: client ? requiresPhishingResistant(client) : false });
  // The smartcard meets phr too, but a client that requires two factors never gets a smartcard login.
  const accepts = acceptedMethods(acrs).filter((method) => method !== 'smartcard' || !twoFactorOnly);
  const requested = requestedAcrValues(params).filter((value) => acrs.includes(value));
  return { accepts, acrs, requested, phishingResistant: !acrs.includes(ACR.twoFactor), administration };
}

/** A user's dated smartcard exception in force (src/login/smartcard-exception.ts), for the cut-off check below. */
export type SmartcardExceptionLookup = (accountId: string, phase: Phase) => Promise<unknown>;

export function interactionPolicyWithAssurance(phases: PhasePolicy, smartcardException: SmartcardExceptionLookup = async () => undefined): ReturnType<typeof base> {
  const policy = base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider base policy has no login prompt');
  login.checks.add(
    new Check('acr_values_required', 'the requested authentication level has not been met', 'login_required', (ctx: KoaContextWithOIDC) => {
      const requested = requestedAcrValues(ctx.oidc.params as Record<string, unknown>);
      const client = ctx.oidc.client;
      if (requested.length && !requested.some((value) => ACR_VALUES_SUPPORTED.includes(value))) {
        throw new errors.InvalidRequest(`none of the requested acr_values is supported (supported: ${ACR_VALUES_SUPPORTED.join(' ')})`);
      }
      const { acrs, accepts } = clientRequirement(ctx.oidc.params as Record<string, unknown>, client, false);
      if (acrs.length === 0 || accepts.length === 0) throw new errors.InvalidRequest('this client does not accept the requested acr_values');
      // A session meets the request when its level meets one of the accepted values (phrh meets phr and 2FA),
      // and a smartcard session only a request that takes smartcard logins.
      const acr = ctx.oidc.session?.acr;
      const met = levelsMetBy(acr);
      const meets = acrs.some((value) => met.includes(value)) && (acr !== ACR.smartcard || accepts.includes('smartcard'));
      return meets ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  login.checks.add(
    new Check('smartcard_login_ended', 'smartcard login is no longer accepted', 'login_required', async (ctx: KoaContextWithOIDC) => {
      if (ctx.oidc.session?.acr !== ACR.smartcard) return Check.NO_NEED_TO_PROMPT;
      const { phase } = await phases.current();
      if (phaseAllows(phase, false).smartcard) return Check.NO_NEED_TO_PROMPT;
      // After the cut-off, a session of a user whose dated exception is in force still counts.
      const accountId = ctx.oidc.session?.accountId;
      return accountId && (await smartcardException(accountId, phase)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
