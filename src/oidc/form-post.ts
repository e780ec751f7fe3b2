/**
 * oidc-provider writes its self-submitting form itself — for `response_mode=form_post`, for a
 * logout without a session and for a login that replaces another account's session — in
 * English, with an inline script our CSP refuses. No configuration replaces that page, so
 * this reads back where the form posts and what, and the app renders its own page instead.
 */

export interface ProviderFormPost {
  action: string;
  fields: { name: string; value: string }[];
}

/** oidc-provider's page (lib/response_modes/form_post.js): recognised by its title, its one form and its hidden inputs. */
const TITLE = '<title>Submitting Callback</title>';
const FORM = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g;
const INPUT = /<input type="hidden" name="([^"<>]*)" value="([^"]*)"\/>/g;

/** What oidc-provider escapes (helpers/html_safe.js), unescaped. */
function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_whole, entity: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[entity] as string);
}

/** The form in an oidc-provider form-post page, or undefined for any other body. */
export function readProviderFormPost(body: unknown): ProviderFormPost | undefined {
  if (typeof body !== 'string' || !body.includes(TITLE)) return undefined;
  const forms = [...body.matchAll(FORM)];
  if (forms.length !== 1) return undefined;
  const [, action = '', inner = ''] = forms[0] as RegExpMatchArray;
  const fields = [...inner.matchAll(INPUT)].map(([, name = '', value = '']) => ({ name: unescapeHtml(name), value: unescapeHtml(value) }));
  return { action: unescapeHtml(action), fields };
}
