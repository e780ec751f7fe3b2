import { routeLabel } from '../../../src/observability/http-metrics.js';

describe('routeLabel', () => {
  it('uses the matched route template when a router matched', () => {
    expect(routeLabel({ status: 200, path: '/interaction/abc123def456ghi789jkl/login', _matchedRoute: '/interaction/:uid/login' })).toBe('/interaction/:uid/login');
  });

  it('labels everything nothing answered as unmatched', () => {
    expect(routeLabel({ status: 404, path: '/wp-login.php' })).toBe('unmatched');
  });

  it("replaces id-like segments of oidc-provider's paths", () => {
    expect(routeLabel({ status: 303, path: '/auth' })).toBe('/auth');
    expect(routeLabel({ status: 303, path: '/auth/Zk3JH7cT1lTt0kyV2yUV-p4xW8OQnZBg' })).toBe('/auth/:id');
    expect(routeLabel({ status: 200, path: '/session/end/confirm' })).toBe('/session/end/confirm');
    expect(routeLabel({ status: 200, path: '/x/6f1c2a1e-3b7d-4c7a-9b1e-2f7d1e9c4a10' })).toBe('/x/:id');
  });
});
