// Widths in terminal columns, as a terminal draws text: East Asian wide and fullwidth characters and emoji take two
// columns, combining marks and format characters none, the rest one (the rules of wcwidth, after Unicode's
// East_Asian_Width and Emoji_Presentation properties). Text reaching these functions has no control characters
// (report.ts `oneLine` removed them). Pure.

/**
 * Code points of East_Asian_Width W or F outside the emoji: Hangul Jamo leading consonants, CJK radicals to the
 * Yi syllables (U+303F, a half-width space, is narrow), Hangul syllables, compatibility ideographs, vertical forms,
 * CJK compatibility forms, fullwidth forms, Tangut, Kana supplements, and the supplementary ideographic planes.
 */
const WIDE =
  /[\u{1100}-\u{115f}\u{231a}\u{231b}\u{2329}\u{232a}\u{2e80}-\u{303e}\u{3041}-\u{33ff}\u{3400}-\u{4dbf}\u{4e00}-\u{9fff}\u{a000}-\u{a4cf}\u{a960}-\u{a97f}\u{ac00}-\u{d7a3}\u{f900}-\u{faff}\u{fe10}-\u{fe19}\u{fe30}-\u{fe6f}\u{ff00}-\u{ff60}\u{ffe0}-\u{ffe6}\u{16fe0}-\u{16fe4}\u{17000}-\u{18aff}\u{1b000}-\u{1b2ff}\u{20000}-\u{2fffd}\u{30000}-\u{3fffd}]|\p{Emoji_Presentation}/u;
/** Nonspacing and enclosing marks, format characters (zero-width space and joiner, soft hyphen aside), Hangul medial vowels and final consonants. */
const ZERO = /[\p{Mn}\p{Me}\u{1160}-\u{11ff}\u{200b}-\u{200f}\u{2060}-\u{2064}\u{feff}]/u;

/** Columns of one code point (given as its string). */
function charColumns(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0x20 && cp < 0x7f) return 1;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  if (ZERO.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/** Columns `text` takes on a terminal. */
export function columns(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII is the common case: no code point iteration for it.
    if (c >= 0x20 && c < 0x7f) n++;
    else {
      const cp = text.codePointAt(i) ?? c;
      const ch = String.fromCodePoint(cp);
      n += charColumns(ch);
      if (cp > 0xffff) i++;
    }
  }
  return n;
}

/** `text` cut to at most `width` columns: the part kept ends with `…` when something was cut; never half a character. */
export function fitColumns(text: string, width: number): string {
  if (width <= 0) return '';
  if (columns(text) <= width) return text;
  // Keep one column for the ellipsis.
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const w = charColumns(ch);
    if (used + w > width - 1) break;
    used += w;
    end += ch.length;
  }
  return `${text.slice(0, end)}…`;
}

/** `text` fitted to `width` columns and padded with spaces to exactly that many. */
export function padColumns(text: string, width: number): string {
  const fitted = fitColumns(text, width);
  return fitted + ' '.repeat(Math.max(0, width - columns(fitted)));
}
