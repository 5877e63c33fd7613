// The master copy validator: YAML syntax, then the JSON Schema, then the
// semantic rules, as one list of diagnostics with exact ranges.
import { dirname } from 'node:path';
import { sortDiagnostics, type Diagnostic } from './diagnostic';
import type { FileAccess } from './fileAccess';
import type { MasterCopy } from './model';
import { schemaDiagnostics } from './schemaValidation';
import { SegmentedParser } from './segmentedParser';
import { dockerfileDiagnostics, semanticDiagnostics } from './semantic';
import { parseWhole, type ParsedYaml } from './yamlSource';
import { decodeUtf8, describeNotUtf8 } from '../util/utf8';

export interface ValidationResult {
  diagnostics: Diagnostic[];
  /** The master copy, when it has no errors (warnings allowed). */
  masterCopy?: MasterCopy;
  parsed: ParsedYaml;
}

export interface ValidateOptions {
  /** Path of the master copy on the host, for resolving `source`, `dockerfile` and secret files. */
  path?: string;
}

export function validateParsed(
  parsed: ParsedYaml,
  opts: ValidateOptions,
  files: FileAccess | undefined,
): ValidationResult {
  const syntax = parsed.syntax;
  if (syntax.some((d) => d.severity === 'error'))
    return { diagnostics: sortDiagnostics([...syntax]), parsed };
  const value = parsed.value;
  if (value === undefined || value === null) {
    return {
      parsed,
      diagnostics: [
        ...syntax,
        {
          severity: 'error',
          code: 'empty',
          message:
            'This master copy is empty. Start with `mastercopy: 1`, a `name`, a `version` and `from` ' +
            '(or run "Master Copy: New Master Copy").',
          range: { start: 0, end: 0 },
        },
      ],
    };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'a list' : `a single ${typeof value}`;
    return {
      parsed,
      diagnostics: [
        ...syntax,
        {
          severity: 'error',
          code: 'not-a-mapping',
          message: `A master copy must be a YAML mapping of keys (mastercopy, name, version, from, …), not ${what}.`,
          range: parsed.locate([])?.value ?? { start: 0, end: 0 },
        },
      ],
    };
  }
  const diagnostics = [
    ...syntax,
    ...schemaDiagnostics(value, parsed),
    ...semanticDiagnostics(value as Record<string, unknown>, parsed, {
      folder: opts.path ? dirname(opts.path) : undefined,
      files,
    }),
  ];
  // Last, once everything else holds: the generator itself, so that no rule of it is missed.
  if (!diagnostics.some((d) => d.severity === 'error'))
    diagnostics.push(...dockerfileDiagnostics(value as MasterCopy, parsed));
  sortDiagnostics(diagnostics);
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return { diagnostics, parsed, masterCopy: ok ? (value as MasterCopy) : undefined };
}

/** One validation of a whole text, nothing cached. */
export function validateText(
  text: string,
  opts: ValidateOptions = {},
  files?: FileAccess,
): ValidationResult {
  return validateParsed(parseWhole(text), opts, files);
}

/**
 * A master copy's bytes as text. Bytes that are not UTF-8 are a problem at the first bad
 * byte (the text then has U+FFFD there, so that offsets still work), never a silent change.
 */
export function masterCopyText(bytes: Uint8Array): { text: string; problem?: Diagnostic } {
  const { text, notUtf8 } = decodeUtf8(bytes);
  if (!notUtf8) return { text };
  return {
    text,
    problem: {
      severity: 'error',
      code: 'encoding',
      message: `This master copy is not UTF-8: ${describeNotUtf8(notUtf8)}. Save it as UTF-8; read any other way, its values would change.`,
      range: { start: notUtf8.textOffset, end: notUtf8.textOffset + 1 },
    },
  };
}

/** validateText for a file's bytes (where they are at hand): not UTF-8 is the one problem, at the first bad byte. */
export function validateBytes(
  bytes: Uint8Array,
  opts: ValidateOptions = {},
  files?: FileAccess,
): ValidationResult & { text: string } {
  const { text, problem } = masterCopyText(bytes);
  if (!problem) return { ...validateText(text, opts, files), text };
  return {
    text,
    diagnostics: [problem],
    parsed: {
      value: undefined,
      syntax: [problem],
      locate: () => undefined,
      firstKey: () => undefined,
    },
  };
}

/**
 * Validation for an editor: one incremental parser per open document, so a
 * keystroke re-parses only the piece of the text it changed.
 */
export class MasterCopyValidator {
  private readonly parsers = new Map<string, SegmentedParser>();

  constructor(private readonly files?: FileAccess) {}

  validate(documentKey: string, text: string, opts: ValidateOptions = {}): ValidationResult {
    const parser = this.parserFor(documentKey);
    // Parsing in pieces costs more than one whole parse when nothing is cached
    // yet: answer a cold document with a whole parse, and let `warm` fill the
    // cache when the editor is idle.
    return validateParsed(parser.isCold ? parseWhole(text) : parser.parse(text), opts, this.files);
  }

  /** Whether the document's next validation would start from nothing. */
  isCold(documentKey: string): boolean {
    return this.parsers.get(documentKey)?.isCold ?? true;
  }

  /** Fills the document's cache of parsed pieces, so that the next keystroke is fast. */
  warm(documentKey: string, text: string): void {
    this.parserFor(documentKey).parse(text);
  }

  private parserFor(documentKey: string): SegmentedParser {
    let parser = this.parsers.get(documentKey);
    if (!parser) this.parsers.set(documentKey, (parser = new SegmentedParser()));
    return parser;
  }

  /** Drops what was kept for a document (call when it closes). */
  forget(documentKey: string): void {
    this.parsers.delete(documentKey);
  }
}
