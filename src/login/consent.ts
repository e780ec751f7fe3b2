/**
 * What the consent page's "Allow" does: the grant of the interaction (the existing one, or a
 * new one for this account and client) gets the scopes and claims the prompt said were
 * missing. oidc-provider glue, apart from the routes so they stay parse-call-render.
 */
import type { ProviderRef } from '../oidc/provider-host.js';
import type { InteractionDetails } from './interaction-request.js';

/** The saved grant's id, or undefined when the interaction's grant is gone (an expired login). */
export async function grantConsent(provider: ProviderRef, details: InteractionDetails, accountId: string): Promise<string | undefined> {
  const { Grant } = provider.current();
  const grant = details.grantId ? await Grant.find(details.grantId) : new Grant({ accountId, clientId: String(details.params['client_id']) });
  if (!grant) return undefined;
  const missingScopes = details.prompt.details['missingOIDCScope'] as string[] | undefined;
  const missingClaims = details.prompt.details['missingOIDCClaims'] as string[] | undefined;
  if (missingScopes?.length) grant.addOIDCScope(missingScopes.join(' '));
  if (missingClaims?.length) grant.addOIDCClaims(missingClaims);
  return grant.save();
}
