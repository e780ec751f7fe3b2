/**
 * What the operator command line prints, in English and Traditional Chinese. One file per area of the service, so that
 * each area's words are read (and reviewed) together; `en.ts` gathers them into the catalogue.
 */
export const cliEn = {
  'cli.placeholder': '',
} as const;

export const cliZhHant: Record<keyof typeof cliEn, string> = {
  'cli.placeholder': '',
};
