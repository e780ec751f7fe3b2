/**
 * `acr_values` as a requirement, not a hint: a relying party that asks for a level gets a
 * session at that level or an error, never less (OIDC Core treats acr_values as voluntary;
 * CCASS Terminal relies on it). An existing session at another level is sent back to login.
 */
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_VALUES_SUPPORTED } from './assurance.js';

const { base, Check } = interactionPolicy;

function requestedAcrValues(ctx: KoaContextWithOIDC): string[] {
  const raw = ctx.oidc.params?.['acr_values'];
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

export function interactionPolicyWithAcrValues(): ReturnType<typeof base> {
  const policy = base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider base policy has no login prompt');
  login.checks.add(
    new Check(
      'acr_values_required',
      'the requested authentication level has not been met',
      (ctx: KoaContextWithOIDC) => {
        const requested = requestedAcrValues(ctx);
        if (requested.length === 0) return Check.NO_NEED_TO_PROMPT;
        if (!requested.some((value) => ACR_VALUES_SUPPORTED.includes(value))) {
          throw new errors.InvalidRequest(`none of the requested acr_values is supported (supported: ${ACR_VALUES_SUPPORTED.join(' ')})`);
        }
        return ctx.oidc.session?.acr && requested.includes(ctx.oidc.session.acr) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
      },
    ),
  );
  return policy;
}
