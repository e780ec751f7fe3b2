/**
 * Pages of the HTTP layer and of oidc-provider (errors, logout, form post, consent scopes), in English and Traditional Chinese. One file per area of the service, so that
 * each area's words are read (and reviewed) together; `en.ts` gathers them into the catalogue.
 */
export const pagesEn = {
  'pages.placeholder': '',
} as const;

export const pagesZhHant: Record<keyof typeof pagesEn, string> = {
  'pages.placeholder': '',
};
