/**
 * The `claims` authorization request parameter (OIDC Core 5.5): what a request may ask for
 * beyond what oidc-provider checks itself. oidc-provider refuses a value that is not JSON, not
 * an object, or whose `userinfo` / `id_token` is not an object; this refuses, with
 * invalid_request and before any interaction, members of the wrong type: a claim requested by
 * anything but `null` or an object, `essential` that is not a boolean, `value` / `values` that
 * are not a claim value / a non-empty list of them, and an `acr` asked for by anything but
 * strings (those values are requirements: src/oidc/acr-policy.ts). Members it does not know —
 * at the top level or in a claim's request — are ignored, as 5.5 and 5.5.1 require ("Any
 * members used that are not understood MUST be ignored").
 *
 * Which claims are returned is not decided here: oidc-provider returns only claims this server
 * holds (src/oidc/accounts.ts) that the grant allows; a third-party client's user is asked on
 * the consent page (src/login/pages.ts).
 */
import { errors } from 'oidc-provider';

const CONTAINERS = ['userinfo', 'id_token'] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isClaimValue = (value: unknown): boolean => typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/** Throws invalid_request for the first member of the wrong type in a parsed `claims` object. */
export function assertClaimsRequest(claims: object): void {
  for (const container of CONTAINERS) {
    const requested = (claims as Record<string, unknown>)[container];
    if (requested === undefined) continue;
    if (!isObject(requested)) throw new errors.InvalidRequest(`claims.${container} should be an object`);
    for (const [claim, request] of Object.entries(requested)) {
      if (request === null) continue;
      const where = `claims.${container}.${claim}`;
      if (!isObject(request)) throw new errors.InvalidRequest(`${where} must be null or an object`);
      if (request['essential'] !== undefined && typeof request['essential'] !== 'boolean') throw new errors.InvalidRequest(`${where}.essential must be a boolean`);
      const { value, values } = request;
      const valueOk = claim === 'acr' ? (candidate: unknown) => typeof candidate === 'string' : isClaimValue;
      if (value !== undefined && !valueOk(value)) throw new errors.InvalidRequest(`${where}.value must be ${claim === 'acr' ? 'a string' : 'a string, number or boolean'}`);
      if (values !== undefined && !(Array.isArray(values) && values.length > 0 && values.every(valueOk))) {
        throw new errors.InvalidRequest(`${where}.values must be a non-empty array of ${claim === 'acr' ? 'strings' : 'strings, numbers or booleans'}`);
      }
    }
  }
}
