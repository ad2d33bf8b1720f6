// Identifier quoting for the few places where schema and table names are
// spliced into SQL (they come from code and operators, never from users).
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `"${name}" is not a valid identifier here: use lower-case letters, digits and underscores`,
    );
  }
  return `"${name}"`;
}
