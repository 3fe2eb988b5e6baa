/**
 * Quoting untrusted text (file names, tensor names, foreign error messages) into our one-line error
 * messages. A name is shown in single quotes with JSON-style escapes: `\\`, `\'`, `\n`, `\t`,
 * `\u0000`…, so a newline, a terminal escape sequence or a quote inside a name can neither split the
 * message nor make it ambiguous. Very long names are shortened in the middle.
 */

const MAX_SHOWN = 240;
// C0 and C1 controls, DEL, the Unicode line/paragraph separators, bidi overrides and isolates,
// and lone surrogates (which would print as replacement characters).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function escape(text: string): string {
  return text.replace(UNSAFE, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}…(${text.length - 2 * half} more characters)…${text.slice(-half)}`;
}

/** `name` in single quotes, escaped to one line and at most ~300 characters: `'a\nb'`. */
export function quote(name: string): string {
  return `'${escape(shorten(String(name), MAX_SHOWN).replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'`;
}

/** Free text (e.g. a message from tfjs or the OS) made safe to embed: one line, control characters escaped, shortened. */
export function oneLine(text: string, max = 1000): string {
  return escape(shorten(String(text).replace(/\s*\r?\n\s*/g, ' ').trim(), max));
}
