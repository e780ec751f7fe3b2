/**
 * The operator's language: `--lang en|zh-Hant` on the command line, else the POSIX locale of
 * the shell (LC_ALL, then LC_MESSAGES, then LANG: any Chinese is Traditional, as in HKSCC's
 * circulars), else English. Read before the commands are built, so that their help is in
 * that language too.
 */
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n/locales.js';

/** The value of `--lang` in argv (`--lang zh-Hant` or `--lang=zh-Hant`), up to a `--` that ends the options. */
export function langArgument(argv: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const word = argv[index] as string;
    if (word === '--') break;
    if (word === '--lang') found = argv[index + 1] ?? '';
    else if (word.startsWith('--lang=')) found = word.slice('--lang='.length);
  }
  return found;
}

/** The locale a POSIX locale name asks for ("zh_HK.UTF-8" → zh-Hant); undefined for "C", "POSIX" or one we do not have. */
export function localeOfPosix(value: string | undefined): Locale | undefined {
  if (!value) return undefined;
  const language = value.split(/[_.@-]/)[0]?.toLowerCase();
  if (language === 'zh') return 'zh-Hant';
  if (language === 'en') return 'en';
  return undefined;
}

/** The first of LC_ALL, LC_MESSAGES, LANG that is set decides, as for any POSIX program. */
export function localeOfEnvironment(env: Record<string, string | undefined>): Locale {
  const setting = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((value) => value !== undefined && value !== '');
  return localeOfPosix(setting) ?? DEFAULT_LOCALE;
}

/** The locale for this run; `invalid` holds a `--lang` value we do not have. */
export function cliLocale(argv: readonly string[], env: Record<string, string | undefined>): { locale: Locale; invalid?: string } {
  const requested = langArgument(argv);
  if (requested === undefined) return { locale: localeOfEnvironment(env) };
  if (isLocale(requested)) return { locale: requested };
  // "zh", "zh-HK", "en-GB": what was meant is clear.
  const near = localeOfPosix(requested);
  if (near && /^(en|zh)([-_][A-Za-z]+)?$/i.test(requested)) return { locale: near };
  return { locale: localeOfEnvironment(env), invalid: requested };
}
