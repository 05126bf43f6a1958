/**
 * binding.gyp (node-gyp, the `npm install` build) and CMakeLists.txt (cmake-js, the prebuilds)
 * compile the same sources with the same language standard, defines and flags: a difference would
 * make the shipped prebuild behave unlike the build the tests ran on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

interface BuildFlags {
  sources: string[];
  std: string;
  defines: string[];
  flags: string[];
  libs: string[];
}

function fromGyp(): BuildFlags {
  const target = JSON.parse(fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')).targets[0];
  const cc: string[] = target.cflags_cc;
  return {
    sources: [...target.sources].sort(),
    std: cc.find((f) => f.startsWith('-std='))!.replace('-std=c++', ''),
    defines: [...target.defines].sort(),
    // Exceptions are on by default in CMake; node-gyp turns them off unless told.
    flags: cc.filter((f) => !f.startsWith('-std=') && f !== '-fexceptions').sort(),
    libs: [...target.libraries].sort(),
  };
}

function fromCMake(): BuildFlags {
  const text = fs.readFileSync(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
  const args = (command: string) => {
    const m = new RegExp(`${command}\\(\\$\\{PROJECT_NAME\\} PRIVATE ([^)]*)\\)`).exec(text);
    if (!m) throw new Error(`CMakeLists.txt has no ${command}`);
    return m[1].trim().split(/\s+/).sort();
  };
  expect(text).toMatch(/file\(GLOB SOURCES "\$\{CMAKE_SOURCE_DIR\}\/native\/\*\.cc"\)/);
  return {
    sources: fs
      .readdirSync(path.join(ROOT, 'native'))
      .filter((f) => f.endsWith('.cc'))
      .map((f) => `native/${f}`)
      .sort(),
    std: /set\(CMAKE_CXX_STANDARD (\d+)\)/.exec(text)![1],
    defines: args('target_compile_definitions'),
    flags: args('target_compile_options'),
    libs: /target_link_libraries\([^)]*\$\{CMAKE_DL_LIBS\}/.test(text) ? ['-ldl'] : [],
  };
}

describe('the two native builds', () => {
  it('compile the same sources with the same standard, defines and flags, and link the same libraries', () => {
    expect(fromGyp()).toEqual(fromCMake());
  });
});
