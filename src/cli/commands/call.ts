import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import type { Command } from 'commander';
import { ApiClient, clientErrors, DEFAULT_SERVER, resolveTarget } from '../../client/index.js';
import { integer } from '../option-parsers.js';
import { runAction } from '../run-action.js';

const HELP = `
Calls an HTTP server on an edge node's network from the cloud, through the link and the node's
ServiceBus (KubeEdge's ServiceBus path). <target> is host:port as the edge sees it and must match
the node's allow-list (edge.servicebusAllow, default 127.0.0.1:* and localhost:*). Prints the
status line, then the body. Exits 0 when the target answered (whatever its status), 1 when the
call did not reach it (node not connected, not allowed, timeout, target down), with the reason.

Examples:
  kedge call line-3 GET 127.0.0.1:8080 /status
  kedge call line-3 POST 10.0.0.7:80 /api/reset -d '{"now":true}' -H 'Content-Type: application/json'
  kedge call line-3 PUT 127.0.0.1:8080 /config -d @deploy/kedge.yaml -H 'Content-Type: application/yaml' --timeout 30000
  kedge call line-3 GET localhost:9100 /metrics --server http://cloud.example:10090
`;

export interface CallOptions {
  data?: string;
  header?: string[];
  server?: string;
  tokenFile?: string;
  timeout?: number;
}

export function registerCall(program: Command): void {
  program
    .command('call')
    .description("Call an HTTP server on an edge node's network through the node's ServiceBus: status line, then body")
    .argument('<node>', 'edge node name')
    .argument('<method>', 'HTTP method: GET, POST, PUT, DELETE, ...')
    .argument('<target>', "host:port on the edge network (must match the node's allow-list)")
    .argument('<path>', 'path and query, e.g. /status?verbose=1')
    .option('-d, --data <data>', 'request body; @file reads a file, @- standard input')
    .option('-H, --header <header>', "request header 'Name: value' (repeatable)", (h: string, all: string[] = []) => [
      ...all,
      h,
    ])
    .option('--timeout <ms>', 'how long the cloud waits for the answer, 1..60000 (default 15000)', integer(1, 60_000))
    .option('--server <url>', `kedge cloud API URL (default ${DEFAULT_SERVER})`)
    .option('--token-file <file>', 'the cloud API token (default $KEDGE_API_TOKEN_FILE)')
    .addHelpText('after', HELP)
    .action(
      runAction('call', (node: string, method: string, target: string, path: string, opts: CallOptions) =>
        runCall(node, method, target, path, opts, (chunk) => process.stdout.write(chunk)),
      ),
    );
}

export async function runCall(
  node: string,
  method: string,
  target: string,
  path: string,
  opts: CallOptions,
  write: (chunk: string | Uint8Array) => void,
): Promise<number> {
  const body: Record<string, unknown> = {
    method: method.toUpperCase(),
    target,
    path: path.startsWith('/') ? path : `/${path}`,
  };
  const headers = parseHeaders(opts.header ?? []);
  if (Object.keys(headers).length > 0) body.headers = headers;
  if (opts.data !== undefined) body.body = (await readData(opts.data)).toString('base64');
  if (opts.timeout !== undefined) body.timeoutMs = opts.timeout;
  const client = new ApiClient(
    resolveTarget({
      ...(opts.server ? { server: opts.server } : {}),
      ...(opts.tokenFile ? { tokenFile: opts.tokenFile } : {}),
    }),
  );
  const res = await client.serviceCall(node, body, (opts.timeout ?? 15_000) + 10_000);
  write(`HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ''}\n`);
  const out = Buffer.from(res.body, 'base64');
  if (out.length > 0) write(out);
  return 0;
}

export function parseHeaders(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `-H "${line}" is not 'Name: value'`);
    out[name] = line.slice(colon + 1).trim();
  }
  return out;
}

async function readData(data: string): Promise<Buffer> {
  if (!data.startsWith('@')) return Buffer.from(data, 'utf8');
  const file = data.slice(1);
  try {
    return file === '-' ? await readStdin() : await readFile(file);
  } catch (err) {
    throw clientErrors.create('KEDGE_CLIENT_BAD_ARGUMENT', `-d ${data}: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
