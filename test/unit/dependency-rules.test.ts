/**
 * The one-way dependencies of lib/ (.dependency-cruiser.cjs): no runtime import cycle, no import
 * from a layer above. Checked on the sources, and shown to catch a deliberate cycle and a
 * deliberate upward import in a scratch copy of the rules.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

const depcruise = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string) {
  const r = spawnSync(depcruise, ['lib', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A scratch project with the repository's rules and the given lib/ files. */
function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-deps-'));
  fs.copyFileSync(path.join(ROOT, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true }, include: ['lib/**/*.ts'] }),
  );
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('dependency rules', () => {
  it('lib/ has no import cycle and no import from a layer above', () => {
    const r = cruise(ROOT);
    expect(r.output).toMatch(/no dependency violations found/);
    expect(r.status).toBe(0);
  });

  it('catches a deliberate runtime cycle, and lets a type-only back reference through', () => {
    const dir = scratch({
      'lib/core/a.ts': "import { b } from './b';\nexport const a = () => b();\n",
      'lib/core/b.ts': "import { a } from './a';\nexport const b = (): unknown => a;\n",
      'lib/core/c.ts': "import type { D } from './d';\nexport class C { d?: D; }\n",
      'lib/core/d.ts': "import { C } from './c';\nexport class D extends C {}\n",
    });
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/no-import-cycle: lib\/core\/a\.ts/);
    expect(r.output).not.toMatch(/no-import-cycle: lib\/core\/[cd]\.ts/);
  });

  it('catches a deliberate import from a layer above', () => {
    const dir = scratch({
      'lib/core/e.ts': "import { f } from '../train/f';\nexport const e = f;\n",
      'lib/train/f.ts': 'export const f = 1;\n',
    });
    const r = cruise(dir);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/core-imports-no-layer-above: lib\/core\/e\.ts → lib\/train\/f\.ts/);
  });
});
