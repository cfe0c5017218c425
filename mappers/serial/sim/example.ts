/**
 * Builds a short string that a regular expression matches, with the text of one capture group
 * chosen by the caller: the simulator answers `T=\s*(-?\d+(?:\.\d+)?)\s*'C` with `T=21.5'C`.
 * Covers what device patterns use (literals, escapes, classes, groups, alternation, quantifiers);
 * the caller checks the result against the real RegExp, so an unsupported construct is caught.
 */
const CLASS_EXAMPLE: Readonly<Record<string, string>> = {
  d: '0',
  D: 'x',
  s: ' ',
  S: 'x',
  w: 'a',
  W: ' ',
  b: '',
  B: '',
  n: '\n',
  r: '\r',
  t: '\t',
};

export interface ExampleTarget {
  /** Capture group index (1-based) or name. */
  group: number | string;
  text: string;
}

export function exampleFor(source: string, target: ExampleTarget): string {
  return new ExampleBuilder(source, target).build();
}

class ExampleBuilder {
  private i = 0;
  private groupCount = 0;

  constructor(
    private readonly src: string,
    private readonly target: ExampleTarget,
  ) {}

  build(): string {
    const out = this.alternation();
    if (this.i < this.src.length) throw new Error(`unexpected ${this.src[this.i]} at ${this.i} in /${this.src}/`);
    return out;
  }

  /** a|b -> a (the first branch), still parsing the rest so group numbers stay right. */
  private alternation(): string {
    const first = this.sequence();
    while (this.src[this.i] === '|') {
      this.i++;
      this.sequence();
    }
    return first;
  }

  private sequence(): string {
    let out = '';
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const atom = this.atom();
      out += atom.repeat(this.quantifier());
    }
    return out;
  }

  /** Minimum repetitions: ? and * give none, + one, {n,m} n. */
  private quantifier(): number {
    const c = this.src[this.i];
    let n = 1;
    if (c === '?' || c === '*') n = 0;
    else if (c === '+') n = 1;
    else if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(this.src.slice(this.i));
      if (!m) return 1;
      this.i += m[0].length - 1;
      n = Number(m[1]);
    } else return 1;
    this.i++;
    if (this.src[this.i] === '?') this.i++; // lazy
    return n;
  }

  private atom(): string {
    const c = this.src[this.i++]!;
    switch (c) {
      case '^':
      case '$':
        return '';
      case '.':
        return 'x';
      case '\\':
        return this.escape();
      case '[':
        return this.charClass();
      case '(':
        return this.group();
      default:
        return c;
    }
  }

  private escape(): string {
    const c = this.src[this.i++]!;
    if (c in CLASS_EXAMPLE) return CLASS_EXAMPLE[c]!;
    if (c === 'x') {
      const hex = this.src.slice(this.i, this.i + 2);
      this.i += 2;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return c;
  }

  /** [abc] -> a, [0-9] -> 0, [^>] -> a character the class excludes. */
  private charClass(): string {
    const negated = this.src[this.i] === '^';
    if (negated) this.i++;
    const members: string[] = [];
    while (this.i < this.src.length && (this.src[this.i] !== ']' || members.length === 0)) {
      let c = this.src[this.i++]!;
      if (c === '\\') c = this.escape();
      members.push(c);
    }
    this.i++; // ]
    const set = members.join('');
    if (!negated) return members[0] === '-' ? '-' : (members[0] ?? '');
    return [...'a0 x_'].find((ch) => !set.includes(ch)) ?? '~';
  }

  private group(): string {
    let name: string | undefined;
    let capturing = true;
    if (this.src[this.i] === '?') {
      const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.src.slice(this.i));
      if (named) {
        name = named[1];
        this.i += named[0].length;
      } else {
        capturing = false;
        this.i += 2; // ?: ?= ?!
      }
    }
    const index = capturing ? ++this.groupCount : 0;
    const inner = this.alternation();
    if (this.src[this.i] !== ')') throw new Error(`unclosed group in /${this.src}/`);
    this.i++;
    const wanted = typeof this.target.group === 'number' ? index === this.target.group : name === this.target.group;
    return capturing && wanted ? this.target.text : inner;
  }
}
