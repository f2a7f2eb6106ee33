import type { Node } from 'yaml';
import type { Checker } from './reader.js';
import { didYouMean } from './suggest.js';

export type ReferenceKind = 'account' | 'carrier' | 'route';

interface Pending {
  readonly kind: ReferenceKind;
  readonly name: string;
  readonly node: Node;
  readonly path: string;
}

/**
 * Names used before (or without) their definition are checked once the whole file is read, so
 * the order of sections in the file does not matter.
 */
export class References {
  private readonly pending: Pending[] = [];

  expect(kind: ReferenceKind, name: string, node: Node, path: string): void {
    this.pending.push({ kind, name, node, path });
  }

  check(c: Checker, known: Readonly<Record<ReferenceKind, readonly string[]>>): void {
    for (const ref of this.pending) {
      const names = known[ref.kind];
      if (names.includes(ref.name)) continue;
      const section = ref.kind === 'account' ? 'accounts' : ref.kind === 'carrier' ? 'carriers' : 'routes';
      c.report(ref.node, ref.path, `unknown ${ref.kind} "${ref.name}"${didYouMean(ref.name, names)} (not defined in ${section})`);
    }
  }
}
