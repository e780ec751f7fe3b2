/**
 * Jest's node environment runs tests in a vm context, but its `structuredClone` is Node's own:
 * the objects it returns have the outer realm's `Object` as constructor. oidc-provider clones
 * static clients with it and then checks each key of a client's `jwks` with
 * `constructor === Object`, so in Jest (not in the server) every inline `jwks` looks invalid.
 * `useSameRealmClone()` makes structuredClone rebuild plain objects and arrays in this realm
 * for the tests of one file.
 */
function rebuild(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebuild);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value)?.constructor?.name === 'Object' && value.constructor !== Object) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, rebuild(entry)]));
  }
  return value;
}

export function useSameRealmClone(): void {
  const native = globalThis.structuredClone;
  beforeAll(() => {
    globalThis.structuredClone = ((value: unknown, options?: Parameters<typeof structuredClone>[1]) => rebuild(native(value, options))) as typeof structuredClone;
  });
  afterAll(() => {
    globalThis.structuredClone = native;
  });
}
