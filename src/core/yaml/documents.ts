import {
  LineCounter,
  parseAllDocuments,
  isNode,
  isPair,
  isMap,
  isScalar,
  isSeq,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { Diagnostic } from './diagnostic.js';

export type YamlPath = ReadonlyArray<string | number>;

/** One document of a (multi-document) YAML file, with the source position of every path in it. */
export interface YamlDocument {
  file: string;
  /** 0-based index of the document within its file. */
  index: number;
  value: unknown;
  /** Where the value at `path` starts; falls back to the deepest existing parent. */
  positionOf(path: YamlPath): { line: number; col: number };
  /** Where the key of the map entry at `path` starts (for "unknown field" messages). */
  keyPositionOf(path: YamlPath): { line: number; col: number };
}

export interface ParsedYaml {
  documents: YamlDocument[];
  /** Syntax errors (and a binary-file error); documents with syntax errors are left out. */
  diagnostics: Diagnostic[];
}

/** Parses every document of a YAML text, keeping positions for later diagnostics. */
export function parseYamlDocuments(text: string, file: string): ParsedYaml {
  if (text.includes('\u0000')) {
    return { documents: [], diagnostics: [diag(file, 1, 1, 'this file is binary, not YAML text')] };
  }
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [];
  const diagnostics: Diagnostic[] = [];
  const documents: YamlDocument[] = [];
  all.forEach((doc, index) => {
    const errors = doc.errors;
    for (const e of errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      diagnostics.push(diag(file, pos.line, pos.col, `YAML syntax: ${firstLine(e.message)}`));
    }
    if (errors.length > 0) return;
    if (doc.contents === null) return; // an empty document between separators
    for (const d of yaml11Differences(doc, text)) {
      const pos = lineCounter.linePos(d.offset);
      diagnostics.push(diag(file, pos.line, pos.col, d.message));
    }
    documents.push(toYamlDocument(doc, index, file, lineCounter));
  });
  return { documents, diagnostics };
}

/**
 * Where this file means one thing to kedge (YAML 1.2) and another to kubectl and KubeEdge (Go's
 * YAML 1.1): a plain number with a leading zero (`010` is 10 here, 8 there) and merge keys (`<<`
 * is a plain key here and merges a map there). Either would apply a different object than the
 * one validated, so each is an error that says how to write it unambiguously.
 */
function yaml11Differences(doc: Document, text: string): Array<{ offset: number; message: string }> {
  const found: Array<{ offset: number; message: string }> = [];
  visit(doc, {
    Pair(_key, pair) {
      const k = pair.key;
      if (isScalar(k) && k.type === 'PLAIN' && k.value === '<<')
        found.push({
          offset: k.range?.[0] ?? 0,
          message:
            'merge key (<<): kubectl and KubeEdge merge the aliased map here, kedge reads a key named "<<"; write the fields out',
        });
    },
    Scalar(_key, node) {
      if (node.type !== 'PLAIN' || !node.range) return;
      const source = text.slice(node.range[0], node.range[1]);
      if (!/^[-+]?0[0-9]+$/.test(source)) return;
      const octal = /^[-+]?0[0-7]+$/.test(source);
      found.push({
        offset: node.range[0],
        message: octal
          ? `${source} is ${Number(source)} here but ${Number.parseInt(source, 8)} to kubectl and KubeEdge (YAML 1.1 octal); write ${Number(source)} or quote it`
          : `${source} has a leading zero, which kubectl and KubeEdge read as YAML 1.1 octal (or text); write ${Number(source)} or quote it`,
      });
    },
  });
  return found;
}

function toYamlDocument(doc: Document, index: number, file: string, lc: LineCounter): YamlDocument {
  const at = (offset: number | undefined) => lc.linePos(offset ?? 0);
  return {
    file,
    index,
    value: doc.toJS({ maxAliasCount: 100 }),
    positionOf: (path) => at(deepestNode(doc, path, false)),
    keyPositionOf: (path) => at(deepestNode(doc, path, true)),
  };
}

/** The source offset of the node at `path`, or of its deepest existing ancestor. */
function deepestNode(doc: Document, path: YamlPath, wantKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : 0;
  for (const segment of path) {
    const next = child(node, segment);
    if (!next) break;
    offset = (wantKey && next.key ? next.key.range?.[0] : next.value?.range?.[0]) ?? offset;
    node = next.value;
  }
  return offset;
}

function child(node: unknown, segment: string | number): { key?: Node; value?: Node } | undefined {
  if (isMap(node)) {
    const pair = node.items.find(
      (p) => isPair(p) && isNode(p.key) && String((p.key as { value?: unknown }).value) === String(segment),
    );
    if (!pair) return undefined;
    return { key: isNode(pair.key) ? pair.key : undefined, value: isNode(pair.value) ? pair.value : undefined };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return isNode(item) ? { value: item } : undefined;
  }
  return undefined;
}

function diag(file: string, line: number, col: number, message: string): Diagnostic {
  return { file, line, col, severity: 'error', message };
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
