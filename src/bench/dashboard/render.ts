import type { Dashboard, DashboardPanel } from './grafana.js';
import { gridHeight, gridRect, type Rect } from './layout.js';
import { PANEL, panelFrame } from './panel-frame.js';
import { renderStat } from './panel-stat.js';
import { renderTimeseries, type TimeRange } from './panel-timeseries.js';
import type { EvaluatedDashboard, PanelView } from './panels.js';
import { el, escapeXml, fitText, text, textWidth, wrapText } from './svg.js';
import { THEME } from './theme.js';

export interface RenderOptions {
  /** Picture width in pixels. Default 1600. */
  width?: number;
  range: TimeRange;
  /** Chips under the title, e.g. "instance: All". */
  chips?: readonly string[];
  /** Lines under the panels: how the numbers were made. */
  footer: readonly string[];
}

const MARGIN = 16;
const HEADER_HEIGHT = 64;
const FOOTER_LINE = 18;
const FOOTER_SIZE = 12;

/** Pixel width of the grid for a picture `width` wide. */
export function gridWidth(width: number): number {
  return width - 2 * MARGIN;
}

/** The pixel box of a panel on a picture `width` wide, relative to the grid's top-left corner. */
export function panelRect(panel: DashboardPanel, width: number): Rect {
  return gridRect(panel.gridPos, gridWidth(width));
}

/** The whole dashboard as one SVG document, laid out on Grafana's grid in its dark theme. */
export function renderDashboardSvg(dashboard: Dashboard, evaluated: EvaluatedDashboard, options: RenderOptions): string {
  const width = options.width ?? 1600;
  const rows = Math.max(0, ...dashboard.panels.map((p) => p.gridPos.y + p.gridPos.h));
  const gridTop = HEADER_HEIGHT;
  const footerTop = gridTop + gridHeight(rows) + 24;
  const footer = options.footer.flatMap((line) => wrapText(line, FOOTER_SIZE, width - 2 * MARGIN));
  const height = footerTop + footer.length * FOOTER_LINE + 12;
  const parts: string[] = [];
  parts.push(el('rect', { x: 0, y: 0, width, height, fill: THEME.canvas }));
  parts.push(header(dashboard.title, width, options));
  for (const view of evaluated.views) {
    const r = gridRect(view.panel.gridPos, gridWidth(width), MARGIN, gridTop);
    parts.push(el('g', { 'data-panel-id': view.panel.id, 'data-panel-type': view.panel.type }, renderPanel(view, r, options.range)));
  }
  footer.forEach((line, i) => {
    parts.push(text(MARGIN, footerTop + i * FOOTER_LINE, line, { fill: THEME.textWeak, 'font-size': FOOTER_SIZE }));
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    el(
      'svg',
      { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': THEME.font },
      [el('title', {}, escapeXml(dashboard.title)), ...parts],
    ) +
    '\n'
  );
}

function renderPanel(view: PanelView, r: Rect, range: TimeRange): string {
  switch (view.kind) {
    case 'row':
      return (
        text(r.x, r.y + 20, '▾', { fill: THEME.textWeak, 'font-size': 14 }) +
        text(r.x + 16, r.y + 20, fitText(view.panel.title, 16, r.width - 16), { fill: THEME.textStrong, 'font-size': 16, 'font-weight': 500 })
      );
    case 'stat':
      return renderStat(view, r);
    case 'timeseries':
      return renderTimeseries(view, r, range);
    case 'unsupported':
      return (
        panelFrame(r, view.panel.title) +
        text(r.x + PANEL.padding, r.y + PANEL.titleHeight + 16, fitText(`not rendered: panel type "${view.panel.type}"`, 12, r.width - 2 * PANEL.padding), {
          fill: THEME.warning,
          'font-size': 12,
        })
      );
  }
}

function header(title: string, width: number, options: RenderOptions): string {
  const parts = [text(MARGIN, 30, title, { fill: THEME.textStrong, 'font-size': 20, 'font-weight': 500 })];
  const from = new Date(options.range.start).toISOString().replace('T', ' ').slice(0, 19);
  const to = new Date(options.range.end).toISOString().slice(11, 19);
  parts.push(text(width - MARGIN, 30, `${from} to ${to} UTC`, { fill: THEME.text, 'font-size': 13, 'text-anchor': 'end' }));
  let x = MARGIN;
  for (const chip of options.chips ?? []) {
    const w = textWidth(chip, 12) + 16;
    parts.push(el('rect', { x, y: 40, width: w, height: 20, rx: 2, fill: THEME.panel, stroke: THEME.border }));
    parts.push(text(x + 8, 54, chip, { fill: THEME.text, 'font-size': 12 }));
    x += w + 8;
  }
  return parts.join('');
}
