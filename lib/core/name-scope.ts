/**
 * Python's `ops.prepend_name_scope` / `ops.strip_name_scope`: how names move under an import scope
 * and out of an export scope when a MetaGraphDef is imported or exported. Both keep the `^`
 * (control input) and `loc:@` (colocation) prefixes in front.
 */

/** 'a' → 'scope/a', '^a' → '^scope/a', 'loc:@a' → 'loc:@scope/a'; no scope: the name as it is. */
export function prependNameScope(name: string, scope: string | null | undefined): string {
  if (!scope) return name;
  const s = scope.endsWith('/') ? scope.slice(0, -1) : scope;
  const m = /^(\^|loc:@)?([\s\S]*)$/.exec(name)!;
  return `${m[1] ?? ''}${s}/${m[2]}`;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * 'scope/a' → 'a', '^scope/a' → '^a', 'loc:@scope/a' → 'loc:@a' (the first match only, repeated
 * slashes after the scope dropped too, as Python's regex does); a name outside the scope is kept.
 */
export function stripNameScope(name: string, scope: string | null | undefined): string {
  if (!scope) return name;
  const s = scope.endsWith('/') ? scope.slice(0, -1) : scope;
  return name.replace(new RegExp(`(\\^|loc:@|^)${escapeRegExp(s)}/+([^]*)`), '$1$2');
}
