/**
 * Which WebSocket URL the page connects to (pure).
 */
import { DEFAULT_CONFIG } from './config.js';

/**
 * The rosbridge-protocol WebSocket URL.
 *
 * - `?ws=` in the page URL overrides everything (development, tests);
 * - `voterId: 'client'` (stock rosbridge mode): `ws(s)://<page hostname>:<rosbridgePort>/`;
 * - otherwise the gateway on the page's own origin: `ws(s)://<page host:port>/`.
 * `wss` when the page came over https.
 *
 * @param {{protocol: string, host: string, hostname: string, search: string}} location -
 *   window.location (hostname of an IPv6 address comes in brackets, as browsers give it)
 * @param {{voterId: string, rosbridgePort: number|null}} [config] - from loadConfig()
 * @returns {string}
 */
export function socketUrl(location, config = DEFAULT_CONFIG) {
  const override = new URLSearchParams(location.search).get('ws');
  if (override) return override;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  if (config.voterId === 'client') {
    return `${scheme}://${location.hostname || 'localhost'}:${config.rosbridgePort}/`;
  }
  return `${scheme}://${location.host || 'localhost:9090'}/`;
}
