import type { Rect } from './layout.js';
import { noData, PANEL, panelFrame, skippedNotes } from './panel-frame.js';
import type { PanelView } from './panels.js';
import { el, fitText, text, textWidth } from './svg.js';
import { DEFAULT_THRESHOLDS, THEME, thresholdColor } from './theme.js';
import { formatValue } from './units.js';

type StatView = Extract<PanelView, { kind: 'stat' }>;

/**
 * A stat panel in colour-mode "background": the last value of each series, large, on the colour
 * of its threshold step. Several series share the width; series without a value are left out,
 * and a panel with none says "No data".
 */
export function renderStat(view: StatView, rect: Rect): string {
  const { panel } = view;
  const values = view.values.filter((v): v is { name: string; value: number } => v.value !== undefined);
  if (values.length === 0) {
    const notesTop = rect.y + PANEL.titleHeight + 8;
    return panelFrame(rect, panel.title) + (view.skipped.length > 0 ? skippedNotes(rect, view.skipped, notesTop) : noData(rect));
  }
  const steps = panel.thresholds ?? DEFAULT_THRESHOLDS;
  const parts: string[] = [panelFrame(rect, panel.title)];
  const segment = rect.width / values.length;
  values.forEach((v, i) => {
    const x = rect.x + i * segment;
    const inset = 1;
    parts.push(
      el('rect', {
        x: x + inset,
        y: rect.y + inset,
        width: segment - 2 * inset,
        height: rect.height - 2 * inset,
        rx: 2,
        fill: thresholdColor(steps, v.value),
      }),
    );
    const label = formatValue(panel.unit, v.value);
    const room = segment - 2 * PANEL.padding;
    const size = Math.max(10, Math.min((rect.height - PANEL.titleHeight) * 0.55, room / Math.max(0.1, textWidth(label, 1))));
    const centreY = rect.y + PANEL.titleHeight + (rect.height - PANEL.titleHeight) / 2;
    parts.push(
      text(x + segment / 2, centreY + size * 0.35, label, {
        fill: THEME.textStrong,
        'font-size': size,
        'font-weight': 500,
        'text-anchor': 'middle',
      }),
    );
    if (values.length > 1) {
      parts.push(text(x + segment / 2, rect.y + rect.height - 6, fitText(v.name, 11, room), { fill: THEME.textStrong, 'font-size': 11, 'text-anchor': 'middle' }));
    }
  });
  // The title goes on top of the coloured background, as Grafana draws it.
  parts.push(text(rect.x + PANEL.padding, rect.y + 21, fitText(panel.title, PANEL.titleSize, rect.width - 2 * PANEL.padding), { fill: THEME.textStrong, 'font-size': PANEL.titleSize, 'font-weight': 500 }));
  if (view.skipped.length > 0) parts.push(skippedNotes(rect, view.skipped, rect.y + rect.height - 8 - 16 * (2 * view.skipped.length - 1)));
  return parts.join('');
}
