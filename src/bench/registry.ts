import { auditScenario } from './audit.js';
import { codecScenario } from './codec.js';
import { directScenario } from './direct.js';
import { proxyScenario } from './proxy.js';
import type { BenchScenario } from './report.js';

/**
 * Every scenario `npm run bench` knows, in the order they run. A new scenario (the proxy's
 * end-to-end run, the audit publisher) is one more entry here.
 */
export const SCENARIOS: readonly BenchScenario[] = [codecScenario, directScenario, proxyScenario, auditScenario];
