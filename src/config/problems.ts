/** One thing wrong with a configuration file, located precisely enough for an editor to jump to it. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based line of the offending key or value; 0 when the problem has no place in the file. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  /** Dotted key path, e.g. `carriers.alpha.window` or `routes[1].carriers[0].cost`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** `proxy.yaml:31:7 carriers.alpha.window: expected a positive integer, got "fifty"` */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.col}` : problem.file;
  return problem.path === '' ? `${where} ${problem.message}` : `${where} ${problem.path}: ${problem.message}`;
}

/**
 * Thrown once per load with every problem found, so an operator fixes a file in one pass
 * instead of one error per attempt.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid configuration (${count}):\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.problems = Object.freeze([...problems]);
  }
}
