import type { Rect } from './layout.js';
import type { SkippedQuery } from './panels.js';
import { el, fitText, text } from './svg.js';
import { THEME } from './theme.js';

export const PANEL = { padding: 8, titleHeight: 32, titleSize: 14, bodySize: 12 } as const;

/** The panel's box and title, like a Grafana panel header. */
export function panelFrame(rect: Rect, title: string, fill: string = THEME.panel, titleColor: string = THEME.text): string {
  return (
    el('rect', { x: rect.x, y: rect.y, width: rect.width, height: rect.height, rx: 2, fill, stroke: THEME.border, 'stroke-width': 1 }) +
    text(rect.x + PANEL.padding, rect.y + 21, fitText(title, PANEL.titleSize, rect.width - 2 * PANEL.padding), {
      fill: titleColor,
      'font-size': PANEL.titleSize,
      'font-weight': 500,
    })
  );
}

/** The lines that say which queries were not rendered and why, from `top` down. */
export function skippedNotes(rect: Rect, skipped: readonly SkippedQuery[], top: number): string {
  const lines: string[] = [];
  for (const s of skipped) {
    lines.push(`not rendered: ${s.expr}`, `  (${s.reason})`);
  }
  const width = rect.width - 2 * PANEL.padding;
  return lines
    .map((line, i) =>
      text(rect.x + PANEL.padding, top + i * 16, fitText(line, PANEL.bodySize, width), {
        fill: THEME.warning,
        'font-size': PANEL.bodySize,
        'xml:space': 'preserve',
      }),
    )
    .join('');
}

/** Grafana's "No data" in the middle of the panel body. */
export function noData(rect: Rect): string {
  return text(rect.x + rect.width / 2, rect.y + PANEL.titleHeight + (rect.height - PANEL.titleHeight) / 2 + 5, 'No data', {
    fill: THEME.textWeak,
    'font-size': 16,
    'text-anchor': 'middle',
  });
}
