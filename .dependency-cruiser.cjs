/**
 * Import rules of src/ (README, "Architecture"), checked by `npm test` and `npm run lint:deps`.
 *
 * Layers, lowest first; a module imports only from its own folder and from lower layers:
 *
 *   core <- log/retry <- expr/actor/protocol/storage/nats <- transport/journal/store/cluster
 *        <- workflow/executor/gen <- control <- sdk <- node <- cli
 *
 * Modules of one layer do not import each other (the shared pieces live one layer down:
 * executor messages in protocol/, disk plumbing in storage/, the NATS connection in nats/).
 * Concrete adapters (a module's memory/, file/, nats/, jetstream/, etcd/ folder; src/nats/ itself
 * is the shared NATS module, not an adapter) are wired only by the composition roots src/node
 * and src/cli; an adapter imports its module's port and lower layers, never another adapter.
 * Dynamic `await import(...)` counts like a static import; so does `import type`.
 * There is no list of exceptions: change the layer table, with the README, or the code.
 */
const LAYERS = [
  ['core'],
  ['log', 'retry'],
  ['expr', 'actor', 'protocol', 'storage', 'nats'],
  ['transport', 'journal', 'store', 'cluster'],
  ['workflow', 'executor', 'gen'],
  ['control'],
  ['sdk'],
  ['node'],
  ['cli'],
];
const ALL = LAYERS.flat();
const ADAPTER = '^src/[^/]+/(memory|file|nats|jetstream|etcd)/';
const anyOf = (modules) => `^src/(${modules.join('|')})/`;

/** One rule per module: it may import its own folder and lower layers, nothing else in src/. */
const layerRules = LAYERS.flatMap((layer, depth) => {
  const lower = LAYERS.slice(0, depth).flat();
  return layer.map((module) => ({
    name: `layer-${module}`,
    comment: `${module} may import only ${[module, ...lower].join(', ')} (a higher layer or a same-layer neighbour is not allowed)`,
    severity: 'error',
    from: { path: `^src/${module}/` },
    to: { path: '^src/', pathNot: anyOf([module, ...lower]) },
  }));
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-unknown-module',
      comment: `every folder of src/ has a layer in .dependency-cruiser.cjs (known: ${ALL.join(', ')})`,
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(ALL) },
      to: {},
    },
    {
      name: 'core-no-node-builtins',
      comment: 'core is the pure domain: no I/O, so no node: modules',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'adapters-only-in-composition-roots',
      comment: 'concrete adapters are wired by src/node and src/cli only; everything else uses the port',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(node|cli)/', ADAPTER] },
      to: { path: ADAPTER },
    },
    {
      name: 'adapter-not-to-other-adapter',
      comment: 'an adapter imports its own folder, its port and lower layers, never another adapter',
      severity: 'error',
      from: { path: '^src/([^/]+/(?:memory|file|nats|jetstream|etcd))/' },
      to: { path: ADAPTER, pathNot: '^src/$1/' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, not even inside one module',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve escapes every other rule',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-dev-dep',
      comment: 'src/ ships: it may not import devDependencies (tests may)',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-non-package-json',
      comment: 'every package src/ imports is declared in package.json',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
