import type { Rect } from './layout.js';
import { noData, PANEL, panelFrame, skippedNotes } from './panel-frame.js';
import type { PanelSeries, PanelView } from './panels.js';
import { el, fitText, num, text, textWidth } from './svg.js';
import { THEME, seriesColor } from './theme.js';
import { clockLabel, niceTicks, timeTicks } from './ticks.js';
import { axisScale, formatTick } from './units.js';

type TimeseriesView = Extract<PanelView, { kind: 'timeseries' }>;

const AXIS_FONT = 11;
const LEGEND = { font: 12, rowHeight: 18, swatch: 14, gap: 16, maxRows: 4 } as const;
const X_AXIS_HEIGHT = 18;

export interface TimeRange {
  start: number;
  end: number;
}

/**
 * A time-series panel: one line per series over the run's time range, the y axis from zero (or
 * the lowest value, when negative) in the panel's unit, clock times on the x axis, and a legend
 * below as Grafana's "list" mode shows it. Missing steps and NaN are gaps, not interpolated.
 */
export function renderTimeseries(view: TimeseriesView, rect: Rect, range: TimeRange): string {
  const parts = [panelFrame(rect, view.panel.title)];
  const series = view.series.filter((s) => s.points.some((p) => Number.isFinite(p.v)));
  const bodyTop = rect.y + PANEL.titleHeight;
  if (series.length === 0) {
    parts.push(view.skipped.length > 0 ? skippedNotes(rect, view.skipped, bodyTop + 8) : noData(rect));
    return parts.join('');
  }

  const legend = layoutLegend(series, rect.width - 2 * PANEL.padding);
  const legendTop = rect.y + rect.height - PANEL.padding - legend.rows * LEGEND.rowHeight;
  const plotTop = bodyTop + 6;
  const plotBottom = legendTop - X_AXIS_HEIGHT - 4;
  const plotHeight = Math.max(10, plotBottom - plotTop);

  let min = 0;
  let max = 0;
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.v)) continue;
      min = Math.min(min, p.v);
      max = Math.max(max, p.v);
    }
  }
  const scale = axisScale(view.panel.unit, Math.max(Math.abs(min), Math.abs(max)));
  const ticks = niceTicks(min / scale.divisor, max / scale.divisor, Math.max(2, Math.floor(plotHeight / 36) + 1));
  const yLabels = ticks.values.map((v) => formatTick(v, ticks.step, scale));
  const yLabelWidth = Math.max(...yLabels.map((l) => textWidth(l, AXIS_FONT))) + 8;
  const plotLeft = rect.x + PANEL.padding + yLabelWidth;
  const plotRight = rect.x + rect.width - PANEL.padding - 4;
  const plotWidth = Math.max(10, plotRight - plotLeft);
  const low = ticks.values[0]! * scale.divisor;
  const high = ticks.values[ticks.values.length - 1]! * scale.divisor;
  const yOf = (v: number): number => plotBottom - ((v - low) / (high - low)) * plotHeight;
  const span = Math.max(1, range.end - range.start);
  const xOf = (t: number): number => plotLeft + ((t - range.start) / span) * plotWidth;

  // Grid and axes.
  ticks.values.forEach((tick, i) => {
    const y = yOf(tick * scale.divisor);
    parts.push(el('line', { x1: plotLeft, x2: plotRight, y1: y, y2: y, stroke: THEME.grid, 'stroke-width': 1 }));
    parts.push(text(plotLeft - 6, y + 4, yLabels[i]!, { fill: THEME.textWeak, 'font-size': AXIS_FONT, 'text-anchor': 'end' }));
  });
  const labelWidth = textWidth('00:00:00', AXIS_FONT) + 16;
  const times = timeTicks(range.start, range.end, Math.max(2, Math.floor(plotWidth / labelWidth)));
  for (const t of times.values) {
    const x = xOf(t);
    parts.push(el('line', { x1: x, x2: x, y1: plotTop, y2: plotBottom, stroke: THEME.grid, 'stroke-width': 1 }));
    const label = clockLabel(t, times.step);
    const half = textWidth(label, AXIS_FONT) / 2;
    // A label that would run into the y axis labels or past the panel edge is left off, as Grafana does.
    if (x - half < plotLeft - 2 || x + half > rect.x + rect.width - 2) continue;
    parts.push(text(x, plotBottom + 14, label, { fill: THEME.textWeak, 'font-size': AXIS_FONT, 'text-anchor': 'middle' }));
  }

  // Lines.
  series.forEach((s, i) => {
    const color = seriesColor(i);
    for (const run of runsOf(s, view.stepMs)) {
      if (run.length === 1) {
        parts.push(el('circle', { cx: xOf(run[0]!.t), cy: yOf(run[0]!.v), r: 2, fill: color }));
        continue;
      }
      const d = run.map((p, j) => `${j === 0 ? 'M' : 'L'}${num(xOf(p.t))} ${num(yOf(p.v))}`).join('');
      parts.push(el('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.5, 'stroke-linejoin': 'round' }));
    }
  });

  // Legend.
  for (const item of legend.items) {
    const x = rect.x + PANEL.padding + item.x;
    const y = legendTop + item.row * LEGEND.rowHeight + 12;
    if (item.index !== undefined) {
      parts.push(el('rect', { x, y: y - 5, width: LEGEND.swatch, height: 4, rx: 1, fill: seriesColor(item.index) }));
    }
    parts.push(text(x + (item.index === undefined ? 0 : LEGEND.swatch + 6), y, item.label, { fill: THEME.text, 'font-size': LEGEND.font }));
  }

  if (view.skipped.length > 0) parts.push(skippedNotes(rect, view.skipped, plotTop + 14));
  return parts.join('');
}

/** Stretches of consecutive finite points, split where a step is missing. */
function runsOf(series: PanelSeries, stepMs: number): { t: number; v: number }[][] {
  const runs: { t: number; v: number }[][] = [];
  let current: { t: number; v: number }[] = [];
  let lastT = Number.NEGATIVE_INFINITY;
  for (const p of series.points) {
    const finite = Number.isFinite(p.v);
    if (!finite || p.t - lastT > stepMs * 1.5) {
      if (current.length > 0) runs.push(current);
      current = [];
    }
    if (finite) {
      current.push(p);
      lastT = p.t;
    } else {
      lastT = Number.NEGATIVE_INFINITY;
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

interface LegendItem {
  /** Series index for the colour swatch; undefined for the "+N more" entry. */
  index: number | undefined;
  label: string;
  x: number;
  row: number;
  width: number;
}

/** Legend entries flowed left to right into rows; what does not fit in maxRows is counted in "+N more". */
function layoutLegend(series: readonly PanelSeries[], width: number): { items: LegendItem[]; rows: number } {
  const items: LegendItem[] = [];
  let row = 0;
  let x = 0;
  series.forEach((s, i) => {
    const label = fitText(s.name, LEGEND.font, width - LEGEND.swatch - 6);
    const itemWidth = LEGEND.swatch + 6 + textWidth(label, LEGEND.font);
    if (x > 0 && x + itemWidth > width) {
      row++;
      x = 0;
    }
    items.push({ index: i, label, x, row, width: itemWidth });
    x += itemWidth + LEGEND.gap;
  });
  if (row < LEGEND.maxRows) return { items, rows: row + 1 };
  const kept = items.filter((item) => item.row < LEGEND.maxRows);
  // Make room on the last row for the count of what is left out.
  for (;;) {
    const more = `+${series.length - kept.length} more`;
    const last = kept[kept.length - 1];
    const end = last === undefined ? 0 : last.x + last.width + LEGEND.gap;
    if (last === undefined || last.row < LEGEND.maxRows - 1 || end + textWidth(more, LEGEND.font) <= width) {
      const onLastRow = last !== undefined && last.row === LEGEND.maxRows - 1;
      kept.push({ index: undefined, label: more, x: onLastRow ? end : 0, row: LEGEND.maxRows - 1, width: textWidth(more, LEGEND.font) });
      return { items: kept, rows: LEGEND.maxRows };
    }
    kept.pop();
  }
}
