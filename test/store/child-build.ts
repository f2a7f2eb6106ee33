import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Node 20 cannot run TypeScript, and a test must not depend on a fresh `npm run build`, so a
 * child process gets its own JavaScript: the given source folders transpiled (no type check; the
 * test config already checks these files) into `outDir` with the same layout, plus a link to the
 * project's node_modules so that package imports resolve. Paths are relative to the project.
 */
export function buildForChild(outDir: string, paths: readonly string[]): void {
  for (const path of paths) {
    const absolute = join(PROJECT, path);
    const files = absolute.endsWith('.ts') ? [absolute] : typescriptFiles(absolute);
    for (const file of files) {
      const output = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: file,
      });
      const target = join(outDir, relative(PROJECT, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, output.outputText);
    }
  }
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(PROJECT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
}
