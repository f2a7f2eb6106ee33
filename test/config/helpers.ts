import { expect } from 'vitest';
import { ConfigError, parseConfig, type ConfigProblem } from '../../src/config/index.js';

/** The smallest valid configuration; tests append or override sections. */
export const MINIMAL = `accounts:
  acme:
    password: pw
    allowed_ips: ["127.0.0.1"]
carriers:
  sim:
    simulator: {}
routes:
  - name: all
    prefix: [""]
    carriers: [{ carrier: sim, cost: 1 }]
`;

/** 1-based line and column of the first occurrence of `needle` in `text` (after `after`, when given). */
export function positionOf(text: string, needle: string, after = ''): { line: number; col: number } {
  const start = after === '' ? 0 : text.indexOf(after);
  if (start < 0) throw new Error(`anchor ${JSON.stringify(after)} not in text`);
  const offset = text.indexOf(needle, start);
  if (offset < 0) throw new Error(`needle ${JSON.stringify(needle)} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}

/** Parses text that must be invalid and returns its problems. */
export function problemsOf(text: string, file = 'test.yaml'): readonly ConfigProblem[] {
  try {
    parseConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

/** The single problem at `path`; fails the test when there is none or more than one there. */
export function problemAt(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const found = problems.filter((p) => p.path === path);
  expect(found.map((p) => p.path), `problems: ${problems.map((p) => `${p.path}: ${p.message}`).join(' | ')}`).toEqual([path]);
  return found[0] as ConfigProblem;
}
