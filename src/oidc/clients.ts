import type { ClientMetadata } from 'oidc-provider';
import { CONFIDENTIAL_CLIENT_AUTH_METHODS, type ClientConfig } from '../config/schema.js';
import type { Locale } from '../i18n/locales.js';

/**
 * Every way a client can authenticate, and so all that discovery advertises: the methods a
 * configured client may be given (a secret, or private_key_jwt), and `none` for public clients.
 * oidc-provider's default list also has client_secret_jwt, which no client here can be registered with.
 */
export const CLIENT_AUTH_METHODS = [...CONFIDENTIAL_CLIENT_AUTH_METHODS, 'none'] as const;

/** Configured clients become oidc-provider client metadata; `first_party` and the like travel as extra metadata. */
export function clientMetadataFromConfig(client: ClientConfig): ClientMetadata {
  const zhHantName = client[CLIENT_NAME_ZH_HANT];
  return {
    client_id: client.client_id,
    client_name: client.client_name ?? client.client_id,
    ...(zhHantName ? { [CLIENT_NAME_ZH_HANT]: zhHantName } : {}),
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    grant_types: client.grant_types,
    response_types: ['code'],
    ...(client.token_endpoint_auth_method === 'private_key_jwt'
      ? { token_endpoint_auth_method: 'private_key_jwt', ...(client.jwks ? { jwks: publicJwks(client.jwks.keys) } : { jwks_uri: client.jwks_uri }) }
      : client.client_secret
      ? { client_secret: client.client_secret, token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    ...(client.id_token_signed_response_alg ? { id_token_signed_response_alg: client.id_token_signed_response_alg } : {}),
    ...(client.backchannel_logout_uri
      ? { backchannel_logout_uri: client.backchannel_logout_uri, backchannel_logout_session_required: client.backchannel_logout_session_required }
      : {}),
    [FIRST_PARTY]: client.first_party,
    [REQUIRE_TWO_FACTOR]: client.require_two_factor,
    [REQUIRE_PHISHING_RESISTANT]: client.require_phishing_resistant,
    [RESOURCE_SERVER]: client.resource_server,
    [REFRESH_TOKEN_ROTATION]: client.refresh_token_rotation,
    [REQUIRE_PKCE]: client.require_pkce,
  };
}

/** A copy of a client's validated public keys as plain objects (oidc-provider refuses any other). */
function publicJwks(keys: Array<Record<string, unknown>>): ClientMetadata['jwks'] {
  return { keys: keys.map((key) => ({ ...key })) } as ClientMetadata['jwks'];
}

type MetadataSource = { metadata(): Record<string, unknown> };

const metadataByClient = new WeakMap<MetadataSource, Record<string, unknown>>();

/**
 * A client's metadata, computed once per client object: oidc-provider's metadata() rebuilds
 * the whole record (every key snake-cased and looked up in a list) on each call, and a login
 * asks several times per request. A client object does not change once built (clients come
 * from configuration; a rebuilt provider has new objects).
 */
function metadataOf(client: MetadataSource): Record<string, unknown> {
  let metadata = metadataByClient.get(client);
  if (!metadata) metadataByClient.set(client, (metadata = client.metadata()));
  return metadata;
}

/** Client metadata key marking clients HKSCC operates itself (no consent screen). */
export const FIRST_PARTY = 'first_party';

export function isFirstParty(client: MetadataSource): boolean {
  return metadataOf(client)[FIRST_PARTY] === true;
}

/** Client metadata key for clients that accept only password + OTP logins (DMS, and any so configured). */
export const REQUIRE_TWO_FACTOR = 'require_two_factor';

export function requiresTwoFactor(client: MetadataSource): boolean {
  return metadataOf(client)[REQUIRE_TWO_FACTOR] === true;
}

/** Client metadata key: whether this client's authorization requests must carry PKCE (config `require_pkce`). */
export const REQUIRE_PKCE = 'require_pkce';

/** Public clients always; a confidential one unless configured `require_pkce: false` (never so for the built-in DMS and security-page clients). */
export function requiresPkce(client: MetadataSource & { clientAuthMethod?: string }): boolean {
  return client.clientAuthMethod === 'none' || metadataOf(client)[REQUIRE_PKCE] !== false;
}

/** Client metadata key for clients that accept only phishing-resistant logins (acr `phr`). */
export const REQUIRE_PHISHING_RESISTANT = 'require_phishing_resistant';

export function requiresPhishingResistant(client: MetadataSource): boolean {
  return metadataOf(client)[REQUIRE_PHISHING_RESISTANT] === true;
}

/** Client metadata key for resource servers: clients that may introspect any client's tokens. */
export const RESOURCE_SERVER = 'resource_server';

export function isResourceServer(client: MetadataSource): boolean {
  return metadataOf(client)[RESOURCE_SERVER] === true;
}

/** Client metadata key: `rotate` (a new refresh token on each refresh) or `none`. */
export const REFRESH_TOKEN_ROTATION = 'refresh_token_rotation';

/** Whether a refresh by this client replaces its refresh token; rotation unless configured `none`. */
export function rotatesRefreshTokens(client: MetadataSource): boolean {
  return metadataOf(client)[REFRESH_TOKEN_ROTATION] !== 'none';
}

/**
 * The client's name in Traditional Chinese: a language-tagged `client_name` (OIDC Dynamic
 * Client Registration §2.1), kept by oidc-provider as extra metadata.
 */
export const CLIENT_NAME_ZH_HANT = 'client_name#zh-Hant';

/** A configured client's name in `locale` (as clientDisplayName, before oidc-provider has the client). */
export function configuredClientName(client: ClientConfig, locale: Locale): string {
  return (locale === 'zh-Hant' ? client[CLIENT_NAME_ZH_HANT] : undefined) ?? client.client_name ?? client.client_id;
}

/** What pages call a client: its name in the page's language, else its name, else its ID. */
export function clientDisplayName(client: { clientId: string } & MetadataSource, locale: Locale): string {
  const metadata = metadataOf(client);
  const localized = locale === 'zh-Hant' ? metadata[CLIENT_NAME_ZH_HANT] : undefined;
  const name = typeof localized === 'string' && localized ? localized : metadata['client_name'];
  return typeof name === 'string' && name ? name : client.clientId;
}
