import type { Threshold } from './grafana.js';

/** Grafana's dark theme, as far as a static picture needs it. */
export const THEME = {
  canvas: '#111217',
  panel: '#181b1f',
  border: '#2a2d33',
  grid: '#2a2d33',
  text: '#ccccdc',
  textStrong: '#ffffff',
  textWeak: '#8e8e9e',
  warning: '#ff9830',
  font: "Inter, 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif",
} as const;

/** Grafana's named colours, the ones threshold steps use. */
const NAMED: Readonly<Record<string, string>> = {
  green: '#73bf69',
  'dark-green': '#37872d',
  red: '#f2495c',
  'dark-red': '#c4162a',
  orange: '#ff9830',
  'dark-orange': '#fa6400',
  yellow: '#fade2a',
  'dark-yellow': '#e0b400',
  blue: '#5794f2',
  'dark-blue': '#1f60c4',
  purple: '#b877d9',
  'dark-purple': '#8f3bb8',
  text: '#ccccdc',
  transparent: 'transparent',
};

export function namedColor(name: string): string {
  return NAMED[name] ?? name;
}

/** The classic palette Grafana gives series in order. */
export const SERIES_COLORS = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0', '#508642', '#cca300', '#447ebc', '#c15c17'] as const;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}

/** What Grafana applies when a panel sets no thresholds: green, red from 80. */
export const DEFAULT_THRESHOLDS: readonly Threshold[] = [
  { color: 'green', value: null },
  { color: 'red', value: 80 },
];

/** The colour of the highest step at or below the value (the base step when none is). */
export function thresholdColor(steps: readonly Threshold[], value: number): string {
  let color = steps[0]?.color ?? 'green';
  for (const step of steps) if (step.value === null || value >= step.value) color = step.color;
  return namedColor(color);
}
