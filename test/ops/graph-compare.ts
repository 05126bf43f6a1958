/**
 * Compares a graph built in TypeScript with the one Python builds, in Python: each node's name, op
 * type, inputs (control inputs included) and attrs (a Const's value compared as a numpy array, as
 * the two sides may encode the same tensor differently), and the collections' member names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../lib/core/graph';

/**
 * Python source defining `compare_graphs(ours_path, theirs_graph)` → a list of differences
 * (empty when the graphs agree). `skip_attrs` are left out of the comparison (e.g. `_class`).
 */
export const PY_COMPARE_GRAPHS = `
def compare_graphs(ours_path, theirs, skip_attrs=('_class', '_has_manual_control_dependencies'), skip_prefix=None, controls=True):
    # skip_prefix: nodes under it (made unique, 'gradients_1', or in a scope, 'outer/gradients') are left out and inputs
    # from it compared as the scope alone (the gradient ops, which TF's C++ registry names its own
    # way); controls=False: data inputs only.
    import re as _re
    skip_re = _re.compile('^((?:[^/]+/)*?%s(?:_[0-9]+)?)(/|$)' % _re.escape(skip_prefix)) if skip_prefix else None
    def norm(i):
        m = skip_re.match(i.lstrip('^')) if skip_re else None
        return m.group(1) if m else i
    ours = tf1.GraphDef()
    with open(ours_path, 'rb') as f:
        ours.ParseFromString(f.read())
    theirs_def = theirs.as_graph_def()
    keep = lambda n: not (skip_re and skip_re.match(n.name))
    a = {n.name: n for n in ours.node if keep(n)}
    b = {n.name: n for n in theirs_def.node if keep(n)}
    diffs = []
    for name in sorted(set(a) | set(b)):
        if name not in a:
            diffs.append('missing in ours: %s (%s)' % (name, b[name].op)); continue
        if name not in b:
            diffs.append('extra in ours: %s (%s)' % (name, a[name].op)); continue
        x, y = a[name], b[name]
        if x.op != y.op:
            diffs.append('%s: op %s vs %s' % (name, x.op, y.op))
        xi = [norm(i) for i in x.input if not i.startswith('^')]
        yi = [norm(i) for i in y.input if not i.startswith('^')]
        if xi != yi:
            diffs.append('%s: inputs %s vs %s' % (name, xi, yi))
        xc = sorted(i for i in x.input if i.startswith('^'))
        yc = sorted(i for i in y.input if i.startswith('^'))
        if controls and xc != yc:
            diffs.append('%s: control inputs %s vs %s' % (name, xc, yc))
        for k in sorted(set(x.attr) | set(y.attr)):
            if k in skip_attrs:
                continue
            if k not in x.attr or k not in y.attr:
                diffs.append('%s: attr %s only in %s' % (name, k, 'ours' if k in x.attr else 'theirs')); continue
            if k == 'value':
                u, v = tf.make_ndarray(x.attr[k].tensor), tf.make_ndarray(y.attr[k].tensor)
                same = u.tolist() == v.tolist() if u.dtype == object else u.tobytes() == v.tobytes()
                if u.dtype != v.dtype or u.shape != v.shape or not same:
                    diffs.append('%s: value %r vs %r' % (name, u, v))
            elif x.attr[k] != y.attr[k]:
                diffs.append('%s: attr %s %s vs %s' % (name, k, x.attr[k], y.attr[k]))
    return diffs
`;

/** Writes `graph`'s GraphDef to `dir/<file>` and returns the path. */
export function writeGraphDef(graph: Graph, dir: string, file = 'ours.pb'): string {
  const p = join(dir, file);
  writeFileSync(p, graph.toGraphDef());
  return p;
}
