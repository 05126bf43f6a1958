/**
 * The current graph: Python's default graph, for code that is handed no graph explicitly.
 * A leaf module (it imports nothing) so that any layer may read it without an import cycle.
 * It is set only during the synchronous part of a call (`inGraph(g, fn)`): an AsyncLocalStorage
 * would slow every Promise of the process, and hooks read it at the start of their methods.
 */
let graphInScope: unknown = null;

/**
 * The graph set by the innermost {@link inGraph} still running, or null. Inside a monitored
 * session's hook (`begin()`, `afterCreateSession()`, a session creator's `createSession()`), the
 * session's graph: call it at the start of the method, before any `await`.
 */
export function currentGraph(): unknown {
  return graphInScope;
}

/** Calls `fn` with `graph` as {@link currentGraph} during its synchronous part. */
export function inGraph<T>(graph: unknown, fn: () => T): T {
  const previous = graphInScope;
  graphInScope = graph;
  try {
    return fn();
  } finally {
    graphInScope = previous;
  }
}
