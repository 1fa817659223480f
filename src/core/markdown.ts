/**
 * The one way InitLens puts text into Markdown (hovers, the seed report).
 * Document text is data, never markup: a Keras `name="[x](command:…)"` or an
 * unresolved argument must render as the characters typed, with no link,
 * image, HTML, autolink or theme icon coming out of it. Links exist only when
 * InitLens writes them with {@link commandLink} or {@link webLink}.
 *
 * Renderer facts this relies on (VS Code hovers use marked with GFM; the seed
 * report is CommonMark/GFM): any ASCII punctuation may be backslash-escaped;
 * `https://`, `www.` and `a@b.c` autolink only when written unescaped; a code
 * span cannot contain markup; VS Code rewrites `$(name)` into an icon after
 * rendering, even inside code spans, unless the rendered text reads `\$(`
 * (`renderLabelWithIcons` in `vs/base/browser/ui/iconLabel/iconLabels.ts`).
 */

/** Every ASCII punctuation character: CommonMark lets each be backslash-escaped. */
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
/** Line breaks of every kind: document text stays on its line of the hover. */
const LINE_BREAK = /\r\n|[\r\n\u0085\u2028\u2029]/g;
/** A VS Code theme icon reference, `$(name)`, once escaped by {@link PUNCTUATION}. */
const ESCAPED_ICON = /\\\$\\\(/g;
/** A theme icon reference in raw text. */
const ICON = /\$\(/;

/** `text` as literal Markdown text: every metacharacter escaped, line breaks as spaces. */
export function escapeMarkdown(text: string): string {
  // `\$\(` renders as `$(`, which VS Code would turn into an icon: `\\\$\(` renders as `\$(`, its escaped form.
  return text.replace(LINE_BREAK, ' ').replace(PUNCTUATION, '\\$&').replace(ESCAPED_ICON, '\\\\\\$\\(');
}

/**
 * `text` as an inline code span whose fence no backtick run inside can close.
 * Text with a `$(` (an icon even inside code) or blank text falls back to escaped plain text.
 */
export function codeSpan(text: string): string {
  const flat = text.replace(LINE_BREAK, ' ');
  // Blank text has nothing to show as code (and renderers disagree on blank spans).
  if (flat.trim() === '' || ICON.test(flat)) return escapeMarkdown(flat);
  const fence = '`'.repeat(longestRun(flat, '`') + 1);
  // CommonMark strips one space from each side when both are spaces; a backtick next to the fence would merge with it.
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A fenced code block whose fence no backtick run inside the code can close. */
export function codeBlock(code: string, language: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(code, '`') + 1));
  return `\n${fence}${language.replace(/[^\w+-]/g, '')}\n${code.replace(/\r\n?/g, '\n')}\n${fence}\n`;
}

/** A GFM table cell: `|` inside it (even in a code span) must be escaped or it splits the cell. */
export function tableCell(markdown: string): string {
  return markdown.replace(/(?<!\\)\|/g, '\\|');
}

/**
 * A link to an InitLens command with JSON arguments, as VS Code decodes
 * `command:` URIs. Parentheses are percent-encoded too (`encodeURIComponent`
 * keeps them), so no argument can end the link destination early.
 */
export function commandLink(label: string, command: string, args: readonly unknown[]): string {
  const query = encodeURIComponent(JSON.stringify(args)).replace(/[()!'*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${escapeMarkdown(label)}](command:${command}?${query})`;
}

/** A link to a web page InitLens names (documentation), never one from a document; anything but a plain https URL stays text. */
export function webLink(label: string, url: string): string {
  return /^https:\/\/[^\s()<>\\`]+$/.test(url) ? `[${escapeMarkdown(label)}](${url})` : escapeMarkdown(label);
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    run = text[i] === char ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}
