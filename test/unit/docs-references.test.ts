/**
 * Every document a comment or a doc names is in the repository: a Markdown file named anywhere
 * exists in it, a document cited by section (`NAME §N`) is one of its files, no path leads out of
 * it, every `docs/x.md` and `[..](x.md#anchor)` link resolves to a file and a heading, every `§N.N`
 * to a section of docs/python-parity.md, every "decision N" to one in docs/design.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const self = relative(root, __filename);
const scanned = /\.(ts|mts|cts|js|mjs|cjs|cc|h|py|sh|md|gyp)$|(^|\/)CMakeLists\.txt$/;

/** The tracked files: what the repository holds. */
function repoFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && scanned.test(f) && f !== self && existsSync(join(root, f)));
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

const headingCache = new Map<string, string[]>();
function headings(file: string): string[] {
  let h = headingCache.get(file);
  if (!h) {
    h = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => l.replace(/^#+ /, ''));
    headingCache.set(file, h);
  }
  return h;
}

/** Documents named outside the repository: a Markdown file it lacks, an upper-case name cited by section, a path that leaves it. */
function outsideReferences(file: string, line: string, basenames: Set<string>): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/(?<![\w/.-])([\w-]+\.md)\b/g)) if (!basenames.has(m[1])) out.push(m[1]);
  for (const m of line.matchAll(/\b([A-Z][A-Z0-9-]+) §/g)) if (!basenames.has(m[1])) out.push(`${m[1]} §`);
  for (const m of line.matchAll(/(?:^|[\s('"`])((?:\.\.\/)+[\w.-]+)/g)) {
    if (relative(root, resolve(root, dirname(file), m[1])).startsWith('..')) out.push(m[1]);
  }
  return out;
}

function problems(): string[] {
  const found: string[] = [];
  const parity = join(root, 'docs/python-parity.md');
  const design = join(root, 'docs/design.md');
  const files = repoFiles();
  const basenames = new Set(files.map((f) => f.split('/').pop()!));
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const at = `${file}:${i + 1}`;
      for (const name of outsideReferences(file, line, basenames)) found.push(`${at}: names ${name}, which is not in the repository`);
      // docs/x.md or docs/x.md#anchor, from anywhere; (x.md#anchor) links relative to a Markdown file.
      const links: { target: string; anchor?: string }[] = [];
      for (const m of line.matchAll(/\bdocs\/([\w.-]+\.md)(?:#([\w-]+))?/g)) links.push({ target: join(root, 'docs', m[1]), anchor: m[2] });
      if (file.endsWith('.md')) {
        for (const m of line.matchAll(/\]\(([^)#\s:]+\.md)?(?:#([^)\s]+))?\)/g)) {
          if (!m[1] && !m[2]) continue;
          links.push({ target: m[1] ? resolve(root, dirname(file), m[1]) : join(root, file), anchor: m[2] });
        }
      }
      for (const { target, anchor } of links) {
        if (!existsSync(target)) found.push(`${at}: ${relative(root, target)} does not exist`);
        else if (anchor && !headings(target).map(slug).includes(anchor))
          found.push(`${at}: no heading #${anchor} in ${relative(root, target)}`);
      }
      for (const m of line.matchAll(/§(\d+(?:\.\d+)?)/g)) {
        const ok = existsSync(parity) && headings(parity).some((h) => h.startsWith(`${m[1]} `) || h.startsWith(`${m[1]}. `));
        if (!ok) found.push(`${at}: §${m[1]} is not a section of docs/python-parity.md`);
      }
      for (const m of line.matchAll(/\bdecision (\d+)\b/g)) {
        const ok = existsSync(design) && headings(design).some((h) => h.startsWith(`${m[1]}. `));
        if (!ok) found.push(`${at}: decision ${m[1]} is not a decision in docs/design.md`);
      }
    });
  }
  return found;
}

describe('references to documents', () => {
  it('every named document, section and decision is in the repository', () => {
    const found = problems();
    expect(found, `${found.length} unresolved references:\n${found.join('\n')}`).toEqual([]);
  });
});
