/**
 * How file names and foreign text (decoder and system messages) enter error messages: every error
 * of @nf/data is one line, whatever the file is called. `quote` writes a name as a JSON string
 * (`"train\nimages.gz"`), and additionally escapes what JSON leaves raw but terminals and logs
 * treat as line breaks or reorder: DEL, C1 controls (U+0085 NEL …), U+2028/U+2029 and the
 * bidirectional overrides (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F) and U+FEFF.
 */

/** Characters JSON.stringify leaves as they are that must not reach a one-line message raw. */
const UNSAFE = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** The same plus the C0 controls, for text that is not passed through JSON.stringify. */
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `name` as a double-quoted, escaped, single-line string: `"cat\ndog.png"`. */
export function quote(name: string): string {
  return JSON.stringify(String(name)).replace(UNSAFE, escape);
}

/** Foreign message text on one line: line breaks become "; ", other controls are escaped, at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  const joined = String(text)
    .split(/\r\n|[\n\r\u0085\u2028\u2029]/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('; ');
  const cut = joined.length > max ? `${joined.slice(0, max - 1)}…` : joined;
  return cut.replace(UNSAFE_TEXT, escape);
}
