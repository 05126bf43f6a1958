/**
 * Graph-level and op-level random seeds as Python's `tf.compat.v1.set_random_seed` and
 * `random_seed.get_seed` derive them, so a seeded initializer draws the same numbers as Python's.
 * With a graph seed, an op without its own seed takes the graph's counter of such ops (0, 1, 2, ...).
 */
import type { Graph } from '../core/graph';
import { invalidArgument } from '../core/errors';
import { defaultGraph } from './scope';

/** Python's DEFAULT_GRAPH_SEED: the graph seed of an op that has a seed when the graph has none. */
export const DEFAULT_GRAPH_SEED = 87654321;
const MAXINT32 = 2 ** 31 - 1;

interface SeedState {
  seed: number | undefined;
  /** How many ops took their op seed from the graph (Python's `_graph_to_seed_dict[graph]`). */
  counter: number;
}
const states = new WeakMap<Graph, SeedState>();
const stateOf = (g: Graph): SeedState => {
  let s = states.get(g);
  if (!s) states.set(g, (s = { seed: undefined, counter: 0 }));
  return s;
};

function checkSeed(param: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw invalidArgument(param, 'an integer seed', seed);
  return seed;
}

/** Python's `tf.compat.v1.set_random_seed(seed)` for `graph` (the default graph when omitted). */
export function setRandomSeed(seed: number | null, graph: Graph = defaultGraph()): void {
  stateOf(graph).seed = seed === null ? undefined : checkSeed('seed', seed);
}

/** The graph-level seed, or undefined. */
export function graphSeed(graph: Graph = defaultGraph()): number | undefined {
  return stateOf(graph).seed;
}

// Python's `_truncate_seed`: the remainder modulo 2^31-1 (floored, as Python's % for negatives).
const truncate = (s: number) => ((s % MAXINT32) + MAXINT32) % MAXINT32;

/**
 * The (seed, seed2) attrs of a random op, as Python's `random_seed.get_seed(op_seed)`: with a graph
 * seed, (graph seed, op seed or the graph's counter); with only an op seed, (87654321, op seed);
 * with neither, (0, 0) (TF then seeds nondeterministically). (0, 0) derived from seeds becomes
 * (0, 2^31-1), as in Python, so that it stays deterministic.
 */
export function getSeed(opSeed: number | undefined, graph: Graph = defaultGraph()): [number, number] {
  const s = stateOf(graph);
  let seeds: [number, number];
  if (s.seed !== undefined) {
    let op = opSeed === undefined ? undefined : checkSeed('seed', opSeed);
    if (op === undefined) op = s.counter++;
    seeds = [truncate(s.seed), truncate(op)];
  } else if (opSeed !== undefined) {
    seeds = [DEFAULT_GRAPH_SEED, truncate(checkSeed('seed', opSeed))];
  } else {
    return [0, 0];
  }
  return seeds[0] === 0 && seeds[1] === 0 ? [0, MAXINT32] : seeds;
}
