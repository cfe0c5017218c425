import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { Clock } from '../../src/core/clock/index.js';
import { errorText, isKedgeError } from '../../src/core/errors/index.js';
import { OpcuaBrowser, type BrowseParams } from './browse.js';

/**
 * The edge's OPC UA browser process (`kedge opcua-browse --serve`): one request per line on stdin
 * (`{"id":1,"params":{...}}`), one answer per line on stdout (`{"id":1,"ok":true,"result":{...}}`
 * or `{"id":1,"ok":false,"error":{code,message,hint,status}}`), in any order. node-opcua (about
 * 100 MB) lives in this process, not in the edge's, and goes away with it when browsing stops.
 * Ends when stdin closes.
 */
export async function serveBrowseRequests(deps: { dataDir: string; logger: Logger; clock: Clock }): Promise<void> {
  const browser = new OpcuaBrowser(deps);
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const pending: Array<Promise<void>> = [];
  const answer = (a: unknown): void => void process.stdout.write(`${JSON.stringify(a)}\n`);
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let req: { id?: unknown; params?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch (err) {
      answer({
        id: null,
        ok: false,
        error: { code: 'KEDGE_OPCUA_BROWSE', message: `not JSON: ${errorText(err)}`, status: 400 },
      });
      continue;
    }
    const id = req.id;
    pending.push(
      browser.browse(req.params as BrowseParams).then(
        (result) => answer({ id, ok: true, result }),
        (err: unknown) =>
          answer({
            id,
            ok: false,
            error: {
              code: isKedgeError(err) ? err.code : 'KEDGE_OPCUA_BROWSE',
              message: errorText(err),
              ...(isKedgeError(err) && err.hint ? { hint: err.hint } : {}),
              status: isKedgeError(err) && err.status !== 500 ? err.status : 502,
            },
          }),
      ),
    );
  }
  await Promise.all(pending);
  await browser.close();
}
