/**
 * Hong Kong time as operators and users read and write it. Every time a person reads is in
 * Hong Kong time; these are the forms that do not depend on the reader's language (the
 * language-dependent ones are in i18n/locales.ts).
 */
// Hong Kong has kept UTC+8 without daylight saving since 1979, so a fixed offset is exact.
const HONG_KONG_OFFSET_MS = 8 * 3600_000;
const HONG_KONG_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

/** "2023-06-26" or "2023-06-26T08:00" in Hong Kong time → the instant; undefined if not a real date. */
export function parseHongKongTime(value: string): Date | undefined {
  const match = HONG_KONG_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour = '00', minute = '00'] = match;
  const instant = new Date(`${year}-${month}-${day}T${hour}:${minute}:00+08:00`);
  if (Number.isNaN(instant.getTime())) return undefined;
  // Date() rolls 2023-02-30 over to March: refuse dates that do not exist.
  const local = new Date(instant.getTime() + HONG_KONG_OFFSET_MS);
  if (local.getUTCDate() !== Number(day) || local.getUTCHours() !== Number(hour) || local.getUTCMinutes() !== Number(minute)) return undefined;
  return instant;
}

/** The instant in Hong Kong time as "2023-06-26 08:00", the form operators write and read. */
export function formatHongKongTime(instant: Date): string {
  return new Date(instant.getTime() + HONG_KONG_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** "26 June 2023, 08:00 (Hong Kong time)": for pages users read. */
export function describeHongKongTime(instant: Date): string {
  const local = new Date(instant.getTime() + HONG_KONG_OFFSET_MS);
  const month = local.toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
  const time = local.toISOString().slice(11, 16);
  return `${local.getUTCDate()} ${month} ${local.getUTCFullYear()}, ${time} (Hong Kong time)`;
}
