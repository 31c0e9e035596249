/**
 * One regular expression from pieces written as regular-expression literals, for a pattern too long for one
 * line: `joinedRegExp([/^a\s+/, /b$/], "m")` is `/^a\s+b$/m`. The pieces are joined as they are, so an
 * alternation must stay inside one piece (or a group); the flags go on the whole, never on a piece.
 */
export function joinedRegExp(parts: readonly RegExp[], flags = ""): RegExp {
  const flagged = parts.find((part) => part.flags !== "");
  if (flagged) throw new Error(`joinedRegExp: the piece ${flagged} has flags; give them to the whole`);
  return new RegExp(parts.map((part) => part.source).join(""), flags);
}
