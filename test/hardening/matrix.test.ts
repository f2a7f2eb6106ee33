import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The README's hardening matrix is a promise: every row names the test that keeps it true. This
 * test keeps the table and the folder in step, so a case cannot be dropped from either quietly.
 */
describe('README hardening matrix', () => {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('### Hardening test matrix');
  const end = readme.indexOf('\n## ', start);
  const section = start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end);
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Case') && !l.startsWith('|---'));
  const named = new Set(rows.flatMap((row) => [...row.split('|').at(-2)!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)));

  it('has the cases issue 6 lists', () => {
    const cases = rows.map((r) => r.split('|')[1]!.trim());
    for (const c of ['junk', 'lengths', 'mutated PDUs', 'states', 'brute force', 'tenants', 'upstream reset', 'upstream silent', 'upstream statuses', 'ESME offline', 'crash', 'shutdown', 'soak']) {
      expect(cases).toContain(c);
    }
  });

  it('names every hardening test file, and only existing ones', () => {
    const files = readdirSync('test/hardening').filter((f) => f.endsWith('.test.ts') && f !== 'matrix.test.ts');
    const namedTests = [...named].filter((n) => n.endsWith('.test.ts'));
    expect(namedTests.sort()).toEqual([...new Set(files)].sort());
    expect(named.has('src/bench/soak.ts')).toBe(true);
    expect(readdirSync('src/bench')).toContain('soak.ts');
  });
});
