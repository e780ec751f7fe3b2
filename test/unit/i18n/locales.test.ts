import { hongKongDateTime, htmlLang, localeOfTag, localeOfUiLocales, negotiateLocale } from '../../../src/i18n/locales.js';

describe('choosing the language', () => {
  it('maps language tags to English or Traditional Chinese', () => {
    expect(localeOfTag('en-GB')).toBe('en');
    expect(localeOfTag('EN')).toBe('en');
    for (const tag of ['zh', 'zh-HK', 'zh-TW', 'zh-Hant', 'zh-Hant-HK', 'zh-CN', 'zh-Hans']) expect(localeOfTag(tag)).toBe('zh-Hant');
    expect(localeOfTag('fr-FR')).toBeUndefined();
    expect(localeOfTag('')).toBeUndefined();
  });

  it("follows Accept-Language's preferences (q-values, then order)", () => {
    expect(negotiateLocale('zh-HK,zh;q=0.9,en;q=0.8')).toBe('zh-Hant');
    expect(negotiateLocale('en-US,en;q=0.9,zh-TW;q=0.8')).toBe('en');
    expect(negotiateLocale('fr;q=1, zh-TW;q=0.5, en;q=0.4')).toBe('zh-Hant');
    expect(negotiateLocale('en;q=0.2, zh;q=0.3')).toBe('zh-Hant');
    expect(negotiateLocale('zh;q=0, en')).toBe('en');
    expect(negotiateLocale('fr, de')).toBeUndefined();
    expect(negotiateLocale(undefined)).toBeUndefined();
    expect(negotiateLocale(';;;,,,q=x')).toBeUndefined();
  });

  it("takes a relying party's ui_locales in order", () => {
    expect(localeOfUiLocales('fr zh-HK en')).toBe('zh-Hant');
    expect(localeOfUiLocales('en')).toBe('en');
    expect(localeOfUiLocales(42)).toBeUndefined();
  });

  it('writes Hong Kong time in each language', () => {
    const instant = new Date('2026-11-25T01:30:00Z'); // 09:30 in Hong Kong
    expect(hongKongDateTime(instant, 'en')).toBe('25 Nov 2026, 09:30');
    expect(hongKongDateTime(instant, 'zh-Hant')).toMatch(/2026年11月25日.*09:30|2026年11月25日.*9:30/);
    expect(htmlLang('zh-Hant')).toBe('zh-Hant-HK');
  });
});
