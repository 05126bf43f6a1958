/**
 * The package's layers, lowest first: a module may import from its own layer and the layers below,
 * never from a layer above, and no module imports itself back through a chain of runtime imports.
 * Checked in `npm test` (test/unit/dependency-rules.test.ts); `npx depcruise lib` shows the details.
 * Type-only imports count for the layers; for cycles only runtime imports count (a Graph and its
 * Operations refer to each other's types, which compiles to nothing).
 */
const LAYERS = ['proto', 'core', 'ops', 'optimizers', 'distribute', 'graph-io', 'summary', 'checkpoint', 'hooks', 'data', 'train', 'gpu', 'cli'];

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `${layer}-imports-no-layer-above`,
  comment: `lib/${layer} is below ${LAYERS.slice(i + 1).join(', ')}`,
  severity: 'error',
  from: { path: `^lib/${layer}/` },
  to: { path: `^lib/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-import-cycle',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-layer-imports-the-package-index',
      severity: 'error',
      from: { path: '^lib/.+/' },
      to: { path: '^lib/index\\.ts$' },
    },
    ...layerRules,
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^lib/proto/gen/' },
  },
};
