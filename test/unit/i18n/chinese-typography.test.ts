/**
 * Chinese pages are set as Chinese is: full-width punctuation carries its own spacing, so no
 * space stands before or after it, and none stands where a placeholder puts Chinese text (a
 * client's Chinese name, an announced time) between Chinese characters. Spaces between
 * Chinese and Latin letters or digits ("{digits} 位數字") are the house style and stay.
 */
import { zhHant } from '../../../src/i18n/messages/zh-Hant.js';
import { announcedHongKongTime } from '../../../src/i18n/locales.js';
import { msg, translator } from '../../../src/i18n/translate.js';

const FULL_WIDTH_PUNCTUATION = '（）「」『』，。：；？！、';
const spaceBesidePunctuation = new RegExp(`\\s[${FULL_WIDTH_PUNCTUATION}]|[${FULL_WIDTH_PUNCTUATION}]\\s`);
const FULL_WIDTH = `\\u3400-\\u4dbf\\u4e00-\\u9fff${FULL_WIDTH_PUNCTUATION}`;

/** Values that placeholders put into Chinese sentences: Chinese where the page writes Chinese. */
const announced = announcedHongKongTime(new Date('2023-06-25T16:00:00Z'), 'zh-Hant');
const CHINESE_VALUES: Record<string, string> = { client: '中央結算系統終端機', time: announced, how: '由您本人執行' };

/**
 * Spaces where a Chinese value meets the sentence around it: between a full-width character
 * of the sentence and a full-width edge of the value (「將於 {time} 停止」 gives 「（香港時間） 停止」).
 * A value's edge of digits or Latin letters may be spaced, as "{digits} 位數字" is.
 */
function spacesAtChineseValues(template: string): string[] {
  const marked = template.replace(/\{(\w+)\}/g, (whole, name: string) => (CHINESE_VALUES[name] ? `\uE000${CHINESE_VALUES[name]}\uE001` : whole));
  const stray = new RegExp(`[${FULL_WIDTH}]\\s+\\uE000[${FULL_WIDTH}]|[${FULL_WIDTH}]\\uE001\\s+[${FULL_WIDTH}]`, 'g');
  return [...marked.matchAll(stray)].map((match) => match[0].replace(/[\uE000\uE001]/g, ''));
}

const entries = Object.entries(zhHant);

describe('Chinese typography', () => {
  it('writes an announced time with no space before its full-width brackets', () => {
    expect(announced).toBe('2023年6月26日 00:00（香港時間）');
  });

  it('puts no space beside full-width punctuation in any message', () => {
    expect(entries.filter(([, value]) => spaceBesidePunctuation.test(value))).toEqual([]);
  });

  it('puts no space where a placeholder gives Chinese text', () => {
    expect(entries.map(([key, value]) => [key, spacesAtChineseValues(value)] as const).filter(([, stray]) => stray.length)).toEqual([]);
    // As the phase banner was: a space after the time's closing bracket.
    expect(spacesAtChineseValues('以密碼及一次性密碼登入將於 {time} 開始。')).toEqual(['） 開']);
    expect(spacesAtChineseValues('請等候 {seconds} 秒後再試。')).toEqual([]);
  });

  it('sets the phase banner with the time inside the sentence', () => {
    const zh = translator('zh-Hant');
    expect(zh(msg('banner.smartcardEnds', { time: announced }))).toBe('智能卡登入將於2023年6月26日 00:00（香港時間）停止。其後請以密碼及一次性密碼登入。');
    expect(zh(msg('banner.twoFactorOpens', { time: announced }))).toBe('以密碼及一次性密碼登入將於2023年6月26日 00:00（香港時間）開始。');
  });
});
