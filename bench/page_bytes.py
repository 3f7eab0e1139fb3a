"""Page weight: bytes a first and a repeat visit of the crowd page cost, measured in Chromium.

Method (see bench/README.md): headless Debian Chromium (Playwright) opens the page and waits
until it is connected (its WebSocket open, ``config.json`` read); the Chrome DevTools Protocol
``Network`` events count every HTTP response of the visit: ``encodedDataLength`` of
``Network.loadingFinished`` is what came over the wire (headers and the possibly compressed
body), ``dataLength`` of ``Network.dataReceived`` the decoded body, and
``Network.responseReceivedExtraInfo`` the status on the wire (304 for a revalidation). The
repeat visit is a new tab in the same browser context, as a visitor coming back: its HTTP
cache is warm, so hashed assets come from the cache and ``index.html`` is revalidated
(``If-None-Match`` → 304). The WebSocket's frames (camera, status) are not counted: they
are the live stream, not the page.

Without ``--url`` the benchmark serves ``--web-root`` (default ``web/dist``, built with
``npm run build``) with the ROS-free gateway runner (``python -m kropbot_gateway.standalone``)
on a free port; with ``--url`` it measures a running gateway (or any server of the page).
"""

import os
from pathlib import Path
import subprocess
import sys
import time

from common import parser, print_table, write_json

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = '/usr/bin/chromium'


class Visit:
    """CDP network accounting of one page load (HTTP only)."""

    def __init__(self, context, page):
        self.responses = {}  # requestId -> dict
        self.wire_status = {}  # requestId -> status on the wire (304 for a revalidation)
        cdp = context.new_cdp_session(page)
        cdp.on('Network.responseReceivedExtraInfo', self._extra)
        cdp.on('Network.responseReceived', self._response)
        cdp.on('Network.dataReceived', self._data)
        cdp.on('Network.loadingFinished', self._finished)
        cdp.send('Network.enable')

    def _response(self, event):
        resp = event['response']
        if not resp['url'].startswith('http'):
            return
        self.responses[event['requestId']] = {
            'url': resp['url'], 'status': resp['status'],
            'cached': bool(resp.get('fromDiskCache') or resp.get('fromMemoryCache')),
            'encoding': {k.lower(): v for k, v in resp['headers'].items()}.get(
                'content-encoding', ''),
            'wire': 0, 'body': 0}

    def _extra(self, event):
        self.wire_status[event['requestId']] = event.get('statusCode')

    def _data(self, event):
        if event['requestId'] in self.responses:
            self.responses[event['requestId']]['body'] += event['dataLength']

    def _finished(self, event):
        if event['requestId'] in self.responses:
            self.responses[event['requestId']]['wire'] = event['encodedDataLength']

    def row(self, name):
        """Summarise the visit as one table row."""
        rs = list(self.responses.values())
        for rid, r in self.responses.items():
            r['status'] = self.wire_status.get(rid) or r['status']
        return {'visit': name, 'requests': len(rs),
                'from_cache': sum(r['cached'] for r in rs),
                'not_modified': sum(r['status'] == 304 for r in rs),
                'compressed': sum(bool(r['encoding']) for r in rs),
                'wire_bytes': sum(r['wire'] for r in rs),
                'decoded_bytes': sum(r['body'] for r in rs),
                'files': [{k: r[k] for k in ('url', 'status', 'cached', 'encoding', 'wire')}
                          for r in rs]}


def visit(context, url, name, timeout_s):
    """Open ``url`` in a new tab of ``context``; return the accounting row once connected."""
    page = context.new_page()
    acct = Visit(context, page)
    page.goto(url)
    page.wait_for_selector('[data-testid="conn-state"][data-state="connected"]',
                           timeout=timeout_s * 1000)
    page.wait_for_load_state('networkidle')
    time.sleep(0.3)  # the last loadingFinished events
    row = acct.row(name)
    page.close()
    return row


def start_page_server(web_root):
    """Run the ROS-free gateway on ``web_root``; return ``(process, url)``."""
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    proc = subprocess.Popen(
        [sys.executable, '-m', 'kropbot_gateway.standalone', '--port', '0', '--web-root',
         str(web_root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()
    import json

    port = json.loads(line)['port']
    return proc, f'http://127.0.0.1:{port}/'


def main():
    """Measure and print/write the page weight."""
    p = parser(__doc__.split('\n')[0], 'page_bytes')
    p.add_argument('--url', help='measure the page at this URL instead of serving --web-root')
    p.add_argument('--web-root', default=str(ROOT / 'web' / 'dist'),
                   help='the built page to serve (without --url)')
    p.add_argument('--timeout', type=float, default=20.0, help='seconds to wait per visit')
    args = p.parse_args()
    from playwright.sync_api import sync_playwright

    server, url = (None, args.url) if args.url else start_page_server(args.web_root)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=['--no-sandbox', '--disable-gpu'])
            try:
                context = browser.new_context()
                rows.append(visit(context, url, 'first', args.timeout))
                rows.append(visit(context, url, 'repeat', args.timeout))
                version = browser.version
            finally:
                browser.close()
    finally:
        if server:
            server.stdin.close()
            server.wait(10)
    print_table(f'Page weight of {url} (Chromium {version}, HTTP only)',
                ['visit', 'requests', 'from_cache', 'not_modified', 'compressed', 'wire_bytes',
                 'decoded_bytes'], rows)
    print('wire_bytes: over the network (headers + body as sent); decoded_bytes: what the '
          'page got after decompression, from the network or the cache.')
    for row in rows:
        print(f"\n{row['visit']} visit:")
        for f in row['files']:
            where = 'cache' if f['cached'] else f"{f['status']} {f['encoding'] or 'identity'}"
            print(f"  {f['wire']:>8} B  {where:<14} {f['url'].replace(url, '/')}")
    write_json(args.json, 'page_bytes', {'url': url, 'chromium': version, 'short': args.short},
               rows)


if __name__ == '__main__':
    main()
