/**
 * Reading patron-sync.yml as YAML, safely: every YAML error becomes an input error (exit 2) with the
 * file, line and column, and no message quotes the file's text (a config pointed at the wrong file,
 * such as .git/config, must not print what is in it).
 *
 * Aliases: the yaml package expands `*alias` references when it builds the value. An alias bomb
 * ("billion laughs": anchors that refer to anchors, each several times) would grow to billions of
 * nodes; `maxAliasCount` (MAX_ALIAS_COUNT below) caps the expansions and the file is refused.
 * patron-sync.yml needs no aliases at all; a few small ones are allowed.
 */
import { isAlias, parseDocument, visit, type Document } from "yaml";
import { InputError } from "./errors.ts";

/** The yaml package's maxAliasCount: alias expansions allowed in the whole file (its default, stated). */
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  line: number;
  column: number;
}

/** Line and column (1-based) of a character offset. */
export function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: Math.max(offset, lineStart) - lineStart + 1 };
}

/** The yaml package's message without the part that quotes the file ("…: \"text\"") or repeats the place. */
function plain(message: string): string {
  const first = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?\s*$/, "");
  const cut = first.indexOf(": ");
  return (cut === -1 ? first : first.slice(0, cut)).replace(/[:.\s]+$/, "");
}

function firstAlias(doc: Document, text: string): Partial<Position> {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (isAlias(node) && node.range) at = node.range[0];
      return visit.BREAK;
    },
  });
  return at === undefined ? {} : positionOf(text, at);
}

/** Parses YAML text to a plain value; any YAML error is an InputError located in `file`. */
export function readYaml(text: string, file: string): { doc: Document; value: unknown } {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) {
    throw new InputError(
      doc.errors.map((e) => ({
        file,
        ...positionOf(text, e.pos[0]),
        message: `not valid YAML: ${plain(e.message)}`,
      })),
    );
  }
  try {
    return { doc, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (e) {
    const bomb = /excessive alias count/i.test((e as Error).message);
    throw new InputError({
      file,
      ...firstAlias(doc, text),
      message: bomb
        ? `not valid YAML: its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} references, as an alias bomb does; write the values out instead of using anchors and aliases`
        : `not valid YAML: ${plain((e as Error).message)}`,
    });
  }
}
