#!/usr/bin/env node
// Regenerates lib/ops/gen/ from the op registry of the loaded libtensorflow (TF_GetAllOpList):
// one typed function per op (internal '_'-prefixed ops skipped), grouped into files by first letter,
// plus lib/ops/gen/index.ts. Run with `npm run gen:ops` (node --import tsx, to read lib/ as TS).
//
// Each function takes the op's inputs positionally (a tensor or a Variable — its ref for reference
// inputs, its value otherwise — or an array for a list input) and
// an options object with the attrs TF cannot infer from the inputs (camelCase keys) plus `name`,
// `device`, `controlInputs`; it returns what lib/ops/op-call.ts gives for the OpDef's outputs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const outDir = path.join(root, 'lib', 'ops', 'gen');

const { opDefs } = await import(path.join(root, 'lib', 'core', 'op-defs.ts'));
const { tfVersion } = await import(path.join(root, 'lib', 'native.ts'));
const { dtypeFromEnum } = await import(path.join(root, 'lib', 'core', 'dtypes.ts'));

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval opts'
  ).split(' '),
);

// Python's op-name rule: an underscore before a capital that follows a lower-case letter, or that
// starts a word after an acronym ('DecodeJSONExample' → 'decode_json_example'; 'Conv2D' → 'conv2d').
function snake(name) {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    const upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0) {
      const prev = name[i - 1];
      const next = name[i + 1] ?? '';
      const prevLower = prev >= 'a' && prev <= 'z';
      const nextLower = next >= 'a' && next <= 'z';
      const prevUpper = prev >= 'A' && prev <= 'Z';
      if (prev !== '_' && (prevLower || (nextLower && prevUpper))) out += '_';
    }
    out += c.toLowerCase();
  }
  return out;
}
const camel = (s) => s.replace(/_+([a-zA-Z0-9])/g, (_, c) => c.toUpperCase());
const ident = (s) => (RESERVED.has(s) ? `${s}_` : s);
const funcName = (op) => ident(camel(snake(op)));
const attrKey = (a) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(a) ? camel(a) || a : JSON.stringify(a));

function attrTsType(a) {
  const one = (t) => {
    switch (t) {
      case 'type':
        return 'DType';
      case 'int':
      case 'float':
        return 'number';
      case 'bool':
        return 'boolean';
      case 'string': {
        const allowed = a.allowedValues?.value;
        if (allowed?.case === 'list' && allowed.value.s.length && a.type === 'string') {
          return allowed.value.s.map((b) => JSON.stringify(Buffer.from(b).toString('utf8'))).join(' | ');
        }
        return 'string';
      }
      case 'shape':
        return 'number[] | null';
      case 'tensor':
        return 'TensorLike';
      case 'func':
        return 'string';
      default:
        return 'never';
    }
  };
  if (a.type === 'list(func)') return 'AttrProto';
  const m = /^list\((.*)\)$/.exec(a.type);
  if (m) {
    const inner = one(m[1]);
    return inner.includes(' ') ? `Array<${inner}>` : `${inner}[]`;
  }
  return one(a.type);
}

function defaultText(a) {
  const v = a.defaultValue?.value;
  if (!v) return undefined;
  switch (v.case) {
    case 'b':
      return String(v.value);
    case 'i':
      return String(v.value);
    case 'f':
      return shortestFloat32(v.value);
    case 's':
      return JSON.stringify(Buffer.from(v.value).toString('utf8'));
    case 'type':
      try {
        return `'${dtypeFromEnum(v.value)}'`;
      } catch {
        return undefined;
      }
    case 'list': {
      const l = v.value;
      for (const k of ['i', 'f', 'b']) if (l[k].length) return `[${l[k].map(String).join(', ')}]`;
      if (l.s.length) return `[${l.s.map((b) => JSON.stringify(Buffer.from(b).toString('utf8'))).join(', ')}]`;
      if (l.type.length) return undefined;
      return '[]';
    }
    default:
      return undefined;
  }
}

// The shortest decimal that reads back as the same float32 (0.0001, not 0.00009999999747378752).
function shortestFloat32(x) {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 17; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === Math.fround(x)) return String(t);
  }
  return String(x);
}

const doc = (s) => s.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();

function generateOp(def) {
  const fname = funcName(def.name);
  const inferred = new Set();
  for (const arg of def.inputArg) for (const k of ['typeAttr', 'numberAttr', 'typeListAttr']) if (arg[k]) inferred.add(arg[k]);
  const attrs = def.attr.filter((a) => !inferred.has(a.name));
  const required = attrs.some((a) => !a.defaultValue);
  const params = [];
  const used = new Set();
  const inputs = def.inputArg.map((arg) => {
    let p = ident(camel(arg.name));
    while (used.has(p)) p += '_';
    used.add(p);
    const list = !!(arg.numberAttr || arg.typeListAttr);
    params.push(`${p}: ${list ? 'OpInput[]' : 'OpInput'}`);
    return p;
  });
  const optFields = attrs.map((a) => {
    const d = defaultText(a);
    const comment = d !== undefined ? `/** Default ${d}. */ ` : '';
    return `${comment}${attrKey(a.name)}${a.defaultValue ? '?' : ''}: ${attrTsType(a)}`;
  });
  const optType = optFields.length ? `{ ${optFields.join('; ')} } & OpOptions` : 'OpOptions';
  params.push(`opts${required ? '' : '?'}: ${optType}`);
  const acc = required ? 'opts.' : 'opts?.';
  const attrObj = attrs.length
    ? `{ ${attrs.map((a) => `${JSON.stringify(a.name)}: ${acc}${attrKey(a.name).replace(/^"(.*)"$/, '$1')}`).join(', ')} }`
    : '{}';
  const call = `${JSON.stringify(def.name)}, [${inputs.join(', ')}], ${attrObj}, opts`;
  const outs = def.outputArg;
  const isList = (arg) => !!(arg.numberAttr || arg.typeListAttr);
  let ret;
  let body;
  if (outs.length === 0) {
    ret = 'Operation';
    body = `opNone(${call})`;
  } else if (outs.length === 1) {
    ret = isList(outs[0]) ? 'Output[]' : 'Output';
    body = `${isList(outs[0]) ? 'opList' : 'opOne'}(${call})`;
  } else {
    const fields = outs.map((o) => `${camel(o.name)}: ${isList(o) ? 'Output[]' : 'Output'}`);
    ret = `{ ${fields.join('; ')} }`;
    const spec = outs.map(
      (o) =>
        `[${JSON.stringify(camel(o.name))}, ${!isList(o) ? 1 : o.numberAttr ? `{ number: ${JSON.stringify(o.numberAttr)} }` : `{ types: ${JSON.stringify(o.typeListAttr)} }`}]`,
    );
    body = `opMulti<${ret}>(${call}, [${spec.join(', ')}])`;
  }
  const sig = `${def.inputArg.map((a) => a.name).join(', ')} → ${def.outputArg.map((a) => a.name).join(', ') || '(no outputs)'}`;
  const lines = [
    `/** TF op \`${def.name}\` (${sig}).${def.summary ? ` ${doc(def.summary)}` : ''}${def.deprecation ? ` @deprecated since GraphDef version ${def.deprecation.version}: ${doc(def.deprecation.explanation)}` : ''} */`,
  ];
  lines.push(`export function ${fname}(${params.join(', ')}): ${ret} {`);
  lines.push(`  return ${body};`);
  lines.push('}');
  return {
    fname,
    code: lines.join('\n'),
    usesTensorLike: attrs.some((a) => /tensor/.test(a.type)),
    usesAttrProto: attrs.some((a) => a.type === 'list(func)'),
  };
}

const GROUPS = ['ab', 'c', 'd', 'ef', 'ghijkl', 'mn', 'opq', 'r', 's', 'tu', 'vwxyz'];
const groupOf = (fname) => GROUPS.find((g) => g.includes(fname[0].toLowerCase())) ?? 'vwxyz';

const defs = [...opDefs().values()].filter((d) => !d.name.startsWith('_')).sort((a, b) => (a.name < b.name ? -1 : 1));
const byGroup = new Map(GROUPS.map((g) => [g, []]));
const seen = new Map();
for (const def of defs) {
  const g = generateOp(def);
  if (seen.has(g.fname)) throw new Error(`Two ops map to the function name ${g.fname}: ${seen.get(g.fname)} and ${def.name}`);
  seen.set(g.fname, def.name);
  byGroup.get(groupOf(g.fname)).push(g);
}

const version = tfVersion();
const header = (what) => `// Generated by scripts/gen-ops/generate.mjs from the op registry (TF_GetAllOpList) of libtensorflow
// ${version}: ${what}. Do not edit; regenerate with \`npm run gen:ops\`.
/* eslint-disable */
`;
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const fileName = (g) => (g.length === 1 ? g : `${g[0]}-${g[g.length - 1]}`);
for (const [g, ops] of byGroup) {
  const tensorLike = ops.some((o) => o.usesTensorLike);
  const attrProto = ops.some((o) => o.usesAttrProto);
  const text = [
    header(`ops whose function name starts with ${g.split('').join(', ')}`),
    `import type { Operation, Output } from '../../core/graph';`,
    `import type { DType } from '../../core/dtypes';`,
    tensorLike ? `import type { TensorLike } from '../../core/tensor';` : '',
    `import { opMulti, opNone, opOne, opList, type OpInput, type OpOptions${attrProto ? ', type AttrProto' : ''} } from '../op-call';`,
    '',
    ops.map((o) => o.code).join('\n\n'),
    '',
  ]
    .filter((l, i) => l !== '' || i > 4)
    .join('\n');
  fs.writeFileSync(path.join(outDir, `${fileName(g)}.ts`), text);
}
fs.writeFileSync(
  path.join(outDir, 'index.ts'),
  `${header(`every op as a typed function (${defs.length} ops)`) + GROUPS.map((g) => `export * from './${fileName(g)}';`).join('\n')}\n`,
);
console.log(`lib/ops/gen: ${defs.length} ops from libtensorflow ${version}`);
