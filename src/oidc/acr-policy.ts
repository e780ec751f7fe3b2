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
import { phaseAllows } from '../policy/access.js';
import { ACR, ACR_VALUES_SUPPORTED, acceptedMethods, acrFor } from './assurance.js';
import { requiresTwoFactor } from './clients.js';

const { base, Check } = interactionPolicy;

function requestedAcrValues(ctx: KoaContextWithOIDC): string[] {
  const raw = ctx.oidc.params?.['acr_values'];
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

export function interactionPolicyWithAssurance(phases: PhasePolicy): ReturnType<typeof base> {
  const policy = base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider base policy has no login prompt');
  login.checks.add(
    new Check('acr_values_required', 'the requested authentication level has not been met', 'login_required', (ctx: KoaContextWithOIDC) => {
      const requested = requestedAcrValues(ctx);
      const clientRequires2fa = ctx.oidc.client ? requiresTwoFactor(ctx.oidc.client) : false;
      if (requested.length === 0 && !clientRequires2fa) return Check.NO_NEED_TO_PROMPT;
      if (requested.length && !requested.some((value) => ACR_VALUES_SUPPORTED.includes(value))) {
        throw new errors.InvalidRequest(`none of the requested acr_values is supported (supported: ${ACR_VALUES_SUPPORTED.join(' ')})`);
      }
      const accepted = acceptedMethods(requested, clientRequires2fa).map(acrFor);
      if (accepted.length === 0) throw new errors.InvalidRequest(`this client accepts only acr ${ACR.twoFactor}`);
      return ctx.oidc.session?.acr && accepted.includes(ctx.oidc.session.acr) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  login.checks.add(
    new Check('smartcard_login_ended', 'smartcard login is no longer accepted', 'login_required', async (ctx: KoaContextWithOIDC) => {
      if (ctx.oidc.session?.acr !== ACR.smartcard) return Check.NO_NEED_TO_PROMPT;
      const { phase } = await phases.current();
      return phaseAllows(phase, false).smartcard ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}
