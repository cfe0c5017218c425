/**
 * Commands and delimiters may be written with C-style escapes (`SEND\r`) in single-quoted YAML,
 * where YAML itself does not turn them into control characters. Double-quoted YAML already has.
 */
const SIMPLE: Readonly<Record<string, string>> = { r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' };

export function unescapeControl(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnt0\\])/g, (_all, code: string) =>
    code.startsWith('x') ? String.fromCharCode(parseInt(code.slice(1), 16)) : SIMPLE[code]!,
  );
}

/** For messages: control characters made visible again (`"SEND\r"`). */
export function visible(text: string): string {
  return JSON.stringify(text);
}
