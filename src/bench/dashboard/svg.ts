/** Minimal SVG writing: escaped text and attributes, compact coordinates. */

export type Attrs = Readonly<Record<string, string | number | undefined>>;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A coordinate with at most one decimal: sub-pixel precision beyond that only adds bytes. */
export function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return out;
}

export function el(tag: string, a: Attrs, children?: string | readonly string[]): string {
  if (children === undefined) return `<${tag}${attrs(a)}/>`;
  const inner = typeof children === 'string' ? children : children.join('');
  return `<${tag}${attrs(a)}>${inner}</${tag}>`;
}

export function text(x: number, y: number, content: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, escapeXml(content));
}

/**
 * Width of a string in the sans-serif fonts a viewer falls back to, estimated per character
 * class: an SVG file cannot measure text, and overestimating only leaves some space unused.
 */
export function textWidth(content: string, fontSize: number): number {
  let units = 0;
  for (const c of content) {
    if ('il.,:;|!\'`'.includes(c)) units += 0.3;
    else if ('fjrt()[]{} '.includes(c)) units += 0.4;
    else if ('mwMW@%'.includes(c)) units += 0.9;
    else if (c >= 'A' && c <= 'Z') units += 0.7;
    else units += 0.6;
  }
  return units * fontSize;
}

/** The longest prefix (with an ellipsis) that fits `maxWidth`. */
export function fitText(content: string, fontSize: number, maxWidth: number): string {
  if (textWidth(content, fontSize) <= maxWidth) return content;
  const chars = [...content];
  while (chars.length > 0 && textWidth(`${chars.join('')}…`, fontSize) > maxWidth) chars.pop();
  return chars.length === 0 ? '' : `${chars.join('')}…`;
}

/** Words flowed into lines no wider than `maxWidth`; a single word too long for a line is cut. */
export function wrapText(content: string, fontSize: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of content.split(/\s+/).filter(Boolean)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (line !== '' && textWidth(candidate, fontSize) > maxWidth) {
      lines.push(line);
      line = fitText(word, fontSize, maxWidth);
    } else {
      line = textWidth(candidate, fontSize) > maxWidth ? fitText(candidate, fontSize, maxWidth) : candidate;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
