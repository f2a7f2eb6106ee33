import type { GridPos } from './grafana.js';

/** Grafana's grid: 24 columns, rows 30 px high, 8 px between cells. */
export const GRID = { columns: 24, rowHeight: 30, margin: 8 } as const;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a panel's gridPos lands in pixels, on a grid `width` pixels wide starting at (left, top). */
export function gridRect(pos: GridPos, width: number, left = 0, top = 0): Rect {
  const column = (width - GRID.margin * (GRID.columns - 1)) / GRID.columns;
  return {
    x: left + Math.round((column + GRID.margin) * pos.x),
    y: top + Math.round((GRID.rowHeight + GRID.margin) * pos.y),
    width: Math.round(column * pos.w + GRID.margin * (pos.w - 1)),
    height: Math.round(GRID.rowHeight * pos.h + GRID.margin * (pos.h - 1)),
  };
}

/** Height in pixels of a grid whose lowest panel ends at row `rows`. */
export function gridHeight(rows: number): number {
  return rows <= 0 ? 0 : GRID.rowHeight * rows + GRID.margin * (rows - 1);
}
