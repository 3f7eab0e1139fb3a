/**
 * The page's run-time configuration: `./config.json`, served next to index.html by the gateway.
 *
 * Contract (web/README.md, docs/ARCHITECTURE.md):
 * - `{"voter_id": "server"}` (also the default when the file is missing, e.g. under the Vite dev
 *   server): the page talks to the gateway on its own origin; the gateway assigns the voter id
 *   and the page leaves `header.frame_id` empty.
 * - `{"voter_id": "client", "rosbridge_port": N}` (stock rosbridge mode, gateway WebSocket
 *   disabled): the page connects to `ws(s)://<page hostname>:N/` and sends its own per-tab voter
 *   id in `header.frame_id`.
 * Unknown keys are ignored (forward compatible). An invalid file falls back to the defaults.
 */

/** Where the page looks for its configuration (relative: works under any sub-path). */
export const CONFIG_URL = './config.json';

/** How long the page waits for config.json before it goes on with the defaults, ms. */
export const CONFIG_TIMEOUT_MS = 2000;

/** The configuration without config.json: the gateway assigns voter ids on the page's origin. */
export const DEFAULT_CONFIG = Object.freeze({ voterId: 'server', rosbridgePort: null });

const VOTER_ID_MODES = ['server', 'client'];

/**
 * Validate a parsed config.json.
 *
 * @param {unknown} raw - JSON.parse() of the file
 * @returns {{config: {voterId: 'server'|'client', rosbridgePort: number|null}, warning: string|null}}
 *   `config` is DEFAULT_CONFIG (and `warning` says why) when `raw` is invalid
 */
export function parseConfig(raw) {
  const fail = (why) => ({ config: DEFAULT_CONFIG, warning: `config.json ignored: ${why}` });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail('not a JSON object');
  const mode = raw.voter_id ?? 'server';
  if (!VOTER_ID_MODES.includes(mode)) {
    return fail(`voter_id must be one of ${VOTER_ID_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  if (mode === 'server') return { config: DEFAULT_CONFIG, warning: null };
  const port = raw.rosbridge_port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return fail(`voter_id "client" needs an integer rosbridge_port in 1..65535, got ${JSON.stringify(port)}`);
  }
  return { config: Object.freeze({ voterId: 'client', rosbridgePort: port }), warning: null };
}

/**
 * Fetch and parse config.json; never rejects.
 *
 * Bypasses the HTTP cache (the same page may be served in either mode), asks for JSON (a dev
 * server's SPA fallback would otherwise answer index.html), and gives up after `timeoutMs`.
 * A 404 means "no configuration" (defaults, no warning); any other failure gives the defaults
 * and a warning.
 *
 * @param {{fetch?: typeof fetch, url?: string, timeoutMs?: number}} [opts]
 * @returns {Promise<{config: typeof DEFAULT_CONFIG, warning: string|null}>}
 */
export async function loadConfig({
  fetch: fetchFn = globalThis.fetch, url = CONFIG_URL, timeoutMs = CONFIG_TIMEOUT_MS,
} = {}) {
  const abort = new AbortController();
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => {
      abort.abort();
      resolve({ config: DEFAULT_CONFIG, warning: `config.json: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const load = (async () => {
    try {
      const resp = await fetchFn(url, {
        cache: 'no-store', headers: { Accept: 'application/json' }, signal: abort.signal,
      });
      if (resp.status === 404) return { config: DEFAULT_CONFIG, warning: null };
      if (!resp.ok) return { config: DEFAULT_CONFIG, warning: `config.json: HTTP ${resp.status}` };
      let raw;
      try {
        raw = JSON.parse(await resp.text());
      } catch {
        return { config: DEFAULT_CONFIG, warning: 'config.json ignored: not valid JSON' };
      }
      return parseConfig(raw);
    } catch (err) {
      return { config: DEFAULT_CONFIG, warning: `config.json: ${err?.message ?? err}` };
    }
  })();
  try {
    return await Promise.race([load, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
