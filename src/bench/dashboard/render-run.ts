import { footerLines } from './footer.js';
import type { Dashboard } from './grafana.js';
import { evaluateDashboard } from './panels.js';
import { panelRect, renderDashboardSvg } from './render.js';
import type { DashboardRun } from './run.js';
import { SampleStore } from './sample-store.js';
import { storeScrapes } from './scrape.js';

const WIDTH = 1600;

/** Renders a run's scrapes onto the dashboard; also reports how many queries were left out. */
export function renderRun(dashboard: Dashboard, run: DashboardRun): { svg: string; notRendered: string[]; failedScrapes: number } {
  const store = new SampleStore();
  const { failed } = storeScrapes(store, run.scrapes, run.info.target);
  const times = run.scrapes.map((s) => s.t);
  if (times.length < 2) throw new Error('a run needs at least two scrapes to draw anything');
  const start = times[0]!;
  const end = times[times.length - 1]!;
  const evaluated = evaluateDashboard(dashboard, {
    store,
    start,
    end,
    scrapeIntervalMs: run.info.scrapeIntervalMs,
    // Grafana asks for about one point per pixel of the graph.
    dataPointsFor: (panel) => Math.max(1, panelRect(panel, WIDTH).width - 60),
  });
  const notRendered = evaluated.views.flatMap((v) =>
    v.kind === 'unsupported' ? [`panel "${v.panel.title}": type ${v.panel.type}`] : v.skipped.map((s) => `panel "${v.panel.title}": ${s.expr} (${s.reason})`),
  );
  const svg = renderDashboardSvg(dashboard, evaluated, {
    width: WIDTH,
    range: { start, end },
    chips: ['Data source: /metrics scrapes', 'Instance: All'],
    footer: footerLines({ info: run.info, scrapes: run.scrapes.length, failedScrapes: failed.length, rateIntervals: evaluated.rateIntervals, notRendered: notRendered.length }),
  });
  return { svg, notRendered, failedScrapes: failed.length };
}

