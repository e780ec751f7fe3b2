/**
 * Chinese pages are set as Chinese is: full-width punctuation carries its own spacing, so no
 * space stands before or after it, and no space stands between Chinese characters — also
 * where a placeholder puts Chinese text (a client's Chinese name, an announced time) into a
 * sentence. Spaces between Chinese and Latin letters or digits ("{digits} 位數字") are the
 * house style and stay.
 */
import { zhHant } from '../../../src/i18n/messages/zh-Hant.js';
import { announcedHongKongTime } from '../../../src/i18n/locales.js';

const FULL_WIDTH_PUNCTUATION = '（）「」『』，。：；？！、';
const spaceBesidePunctuation = new RegExp(`\\s[${FULL_WIDTH_PUNCTUATION}]|[${FULL_WIDTH_PUNCTUATION}]\\s`);
const CJK = '\\u3400-\\u4dbf\\u4e00-\\u9fff';
const spaceBetweenChinese = new RegExp(`[${CJK}${FULL_WIDTH_PUNCTUATION}]\\s+[${CJK}${FULL_WIDTH_PUNCTUATION}]`);

/** Values that placeholders put into Chinese sentences: Chinese where the page writes Chinese. */
const announced = announcedHongKongTime(new Date('2023-06-25T16:00:00Z'), 'zh-Hant');
const CHINESE_VALUES: Record<string, string> = { client: '中央結算系統終端機', time: announced, how: '由您本人執行' };

const filled = (template: string) => template.replace(/\{(\w+)\}/g, (_whole, name: string) => CHINESE_VALUES[name] ?? 'B01234');

const entries = Object.entries(zhHant);

describe('Chinese typography', () => {
  it('writes an announced time with no space before its full-width brackets', () => {
    expect(announced).toBe('2023年6月26日 00:00（香港時間）');
  });

  it('puts no space beside full-width punctuation in any message', () => {
    expect(entries.filter(([, value]) => spaceBesidePunctuation.test(value))).toEqual([]);
  });

  it('puts no space between Chinese where a placeholder gives Chinese text', () => {
    const written = entries.map(([key, value]) => [key, filled(value)] as const);
    expect(written.filter(([, text]) => spaceBesidePunctuation.test(text) || spaceBetweenChinese.test(text))).toEqual([]);
  });

  it('sets the phase banner with the time inside the sentence', () => {
    expect(filled(zhHant['banner.smartcardEnds'])).toBe('智能卡登入將於2023年6月26日 00:00（香港時間）停止。其後請以密碼及一次性密碼登入。');
    expect(filled(zhHant['banner.twoFactorOpens'])).toBe('以密碼及一次性密碼登入將於2023年6月26日 00:00（香港時間）開始。');
  });
});
