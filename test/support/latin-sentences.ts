/**
 * Finds English left on a page that should be in another language: the text of the page
 * (tags and their attributes stripped, entities decoded) is searched for runs of two or more
 * consecutive Latin words. A single word is let through (a brand, "English" on the language
 * switch, a code in a detail); so are email addresses, URLs, and the names and tokens in
 * `allow` (proper names such as CCASS, DMS, HKSCC; the fixture's IDs), which break a run as
 * any non-Latin character does. Returns the runs found, e.g. ["The file is not"].
 */

/** Where a run of words ends: an allowed name, an address, a character of another script. */
const BREAK = '\u0000';

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A Latin word as it stands in a sentence: letters (with inner ' or -), maybe punctuation around it. */
const WORD = /^[("'[“‘]*[A-Za-z]+(?:['’-][A-Za-z]+)*[)"'\]”’.,;:!?]*$/;

/** The visible text of an HTML page (or fragment). */
export function pageText(html: string): string {
  const withoutMarkup = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ');
  return decodeEntities(withoutMarkup);
}

export function latinSentences(html: string, allow: string[]): string[] {
  let text = pageText(html);
  // What is no language at all: links and addresses.
  text = text.replace(/\b(?:https?|mailto):\/\/[^\s<>"'「」，。]+/gi, BREAK);
  text = text.replace(/[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g, BREAK);
  // Allowed names, longest first, as whole tokens (so "DMS" does not also allow "DMSX").
  for (const name of [...allow].filter(Boolean).sort((a, b) => b.length - a.length)) {
    text = text.replace(new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(name)}(?![A-Za-z0-9_])`, 'g'), BREAK);
  }
  // Any character outside ASCII (Chinese, full-width punctuation, a dash) ends a run.
  // eslint-disable-next-line no-control-regex -- BREAK itself is a control character
  const segments = text.split(/[^\u0001-\u007f]+/);
  const found: string[] = [];
  for (const segment of segments) {
    let run: string[] = [];
    const close = () => {
      if (run.length >= 2) found.push(run.join(' '));
      run = [];
    };
    for (const token of segment.split(/\s+/).filter(Boolean)) {
      if (WORD.test(token)) run.push(token);
      else close();
    }
    close();
  }
  return found;
}
