import { describe, expect, it } from 'vitest';
import { buildProgram } from '../program.js';
import { parseHeaders } from './call.js';

describe('kedge call', () => {
  it("parses -H 'Name: value' (value may hold colons) and refuses a line without a name", () => {
    expect(parseHeaders(['Content-Type: application/json', 'X-Url:http://a:1/b', 'X-Empty:'])).toEqual({
      'Content-Type': 'application/json',
      'X-Url': 'http://a:1/b',
      'X-Empty': '',
    });
    expect(() => parseHeaders(['no colon'])).toThrow(/'Name: value'/);
    expect(() => parseHeaders([': v'])).toThrow(/KEDGE_CLIENT_BAD_ARGUMENT|Name: value/);
  });

  it('is registered with its arguments, options and examples', () => {
    const cmd = buildProgram('0.0.0').commands.find((c) => c.name() === 'call');
    expect(cmd).toBeDefined();
    expect(cmd!.registeredArguments.map((a) => a.name())).toEqual(['node', 'method', 'target', 'path']);
    expect(cmd!.options.map((o) => o.long)).toEqual(['--data', '--header', '--timeout', '--server', '--token-file']);
    let help = '';
    cmd!.configureOutput({ writeOut: (s) => (help += s) });
    cmd!.outputHelp();
    expect(help).toContain('kedge call line-3 GET 127.0.0.1:8080 /status');
  });
});
