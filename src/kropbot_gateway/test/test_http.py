"""The page server's HTTP answers: security headers, methods, precompressed assets, caching.

A real GatewayServer (in-memory bridge, no ROS) on a free port, asked with ``http.client``
(which sends exactly the headers given, unlike urllib).
"""

import asyncio
import gzip
import http.client
import os

from kropbot_gateway.bridge import MemoryBridge
from kropbot_gateway.config import config_from_params
from kropbot_gateway.http import accepted_codings, content_security_policy
from kropbot_gateway.server import GatewayServer
import pytest

JS = b'console.log("kropbot");\n' * 200
HTML = b'<!doctype html><title>KropBot</title><script src="./assets/app-1a2b3c.js"></script>'


class Log:
    def info(self, text):
        pass

    warning = error = info


@pytest.fixture
def web_root(tmp_path):
    """A built page as Vite + plugins/precompress.js leave it (brotli bytes are opaque here)."""
    assets = tmp_path / 'assets'
    assets.mkdir()
    (tmp_path / 'index.html').write_bytes(HTML)
    (tmp_path / 'index.html.gz').write_bytes(gzip.compress(HTML))
    (assets / 'app-1a2b3c.js').write_bytes(JS)
    (assets / 'app-1a2b3c.js.gz').write_bytes(gzip.compress(JS))
    (assets / 'app-1a2b3c.js.br').write_bytes(b'BROTLI' + gzip.compress(JS)[:40])
    (assets / 'old-9f8e7d.js').write_bytes(JS)
    (assets / 'old-9f8e7d.js.gz').write_bytes(b'stale')
    old = os.stat(assets / 'old-9f8e7d.js').st_mtime - 60
    os.utime(assets / 'old-9f8e7d.js.gz', (old, old))  # older than its source: never served
    return tmp_path


def serve(web_root, requests, **params):
    """Run a server and make ``requests`` [(method, path, headers)]; return the responses."""
    async def main():
        server = GatewayServer(config_from_params({'port': 0, 'web_root': str(web_root),
                                                   **params}), MemoryBridge(), Log())
        await server.start()
        try:
            return await asyncio.to_thread(_fetch_all, server.port, requests)
        finally:
            await server.stop()
    return asyncio.run(main())


def _fetch_all(port, requests):
    out = []
    for method, path, headers in requests:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        out.append((resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()))
        conn.close()
    return out


def test_every_answer_has_the_security_headers_and_other_methods_get_405(web_root):
    answers = serve(web_root, [('GET', '/', {}), ('GET', '/missing', {}),
                               ('GET', '/config.json', {}), ('POST', '/', {}),
                               ('PUT', '/index.html', {}), ('DELETE', '/', {}),
                               ('OPTIONS', '/', {}), ('HEAD', '/', {})])
    for _status, headers, _ in answers:
        csp = headers['content-security-policy']
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "default-src 'none'" in csp and 'unsafe-inline' not in csp
        assert headers['x-frame-options'] == 'DENY'
        assert headers['x-content-type-options'] == 'nosniff'
    assert [a[0] for a in answers] == [200, 404, 200, 405, 405, 405, 405, 200]
    for _status, headers, _ in answers[3:7]:
        assert headers['allow'] == 'GET, HEAD'
    get, head = answers[0], answers[-1]
    assert head[2] == b'' and head[1]['content-length'] == get[1]['content-length']
    assert head[1]['etag'] == get[1]['etag']


def test_csp_allows_only_the_pages_own_origin_and_websocket():
    csp = content_security_policy('robot.local:9090')
    connect = next(d for d in csp.split('; ') if d.startswith('connect-src'))
    assert connect == "connect-src 'self' ws://robot.local:9090 wss://robot.local:9090"
    # stock rosbridge mode: the page connects to rosbridge's port on the page's host
    csp = content_security_policy('[::1]:8000', websocket=False, rosbridge_port=9090)
    assert "connect-src 'self' ws://[::1]:9090 wss://[::1]:9090" in csp
    csp = content_security_policy('robot:8000', websocket=False, rosbridge_port=9091)
    assert 'ws://robot:9091 wss://robot:9091' in csp
    # a Host header that is not a plain host[:port] is never repeated into the policy
    for host in (None, '', 'evil.example; script-src *', 'a b', "x'y", 'h:99999999'):
        assert "connect-src 'self';" in content_security_policy(host)


def test_stock_rosbridge_mode_page_lists_the_rosbridge_port(web_root):
    ((status, headers, _),) = serve(web_root, [('GET', '/', {'Host': 'robot:8000'})],
                                    websocket=False, rosbridge_port=9555)
    assert status == 200
    assert 'ws://robot:9555 wss://robot:9555' in headers['content-security-policy']


def test_hashed_assets_are_precompressed_and_immutable(web_root):
    path = '/assets/app-1a2b3c.js'
    answers = serve(web_root, [
        ('GET', path, {'Accept-Encoding': 'gzip, deflate, br'}),
        ('GET', path, {'Accept-Encoding': 'gzip'}),
        ('GET', path, {'Accept-Encoding': 'br;q=0, gzip;q=0.5'}),
        ('GET', path, {}),
        ('GET', path, {'Accept-Encoding': 'identity'}),
        ('GET', '/assets/old-9f8e7d.js', {'Accept-Encoding': 'gzip'}),
        ('HEAD', path, {'Accept-Encoding': 'br'}),
    ])
    (br, gz, gz2, plain, identity, stale, head) = answers
    assert br[1]['content-encoding'] == 'br'
    assert br[2] == (web_root / 'assets' / 'app-1a2b3c.js.br').read_bytes()
    for resp in (gz, gz2):
        assert resp[1]['content-encoding'] == 'gzip' and gzip.decompress(resp[2]) == JS
    for resp in (plain, identity, stale):
        assert 'content-encoding' not in resp[1] and resp[2] == JS
    for status, headers, _ in answers:
        assert status == 200
        assert headers['cache-control'] == 'public, max-age=31536000, immutable'
        assert headers['vary'] == 'Accept-Encoding'
        assert headers['content-type'].startswith('text/javascript')
    assert head[2] == b'' and int(head[1]['content-length']) == len(br[2])


def test_index_html_is_revalidated_with_etag_and_304(web_root):
    first = serve(web_root, [('GET', '/', {}), ('GET', '/', {'Accept-Encoding': 'gzip'})])
    (plain, gz) = first
    for status, headers, _ in first:
        assert status == 200 and headers['cache-control'] == 'no-cache'
    assert plain[2] == HTML and gzip.decompress(gz[2]) == HTML
    assert plain[1]['etag'] != gz[1]['etag']  # one ETag per representation
    again = serve(web_root, [
        ('GET', '/', {'If-None-Match': plain[1]['etag']}),
        ('GET', '/index.html', {'If-None-Match': f'"nope", W/{gz[1]["etag"]}',
                                'Accept-Encoding': 'gzip'}),
        ('GET', '/', {'If-None-Match': gz[1]['etag']}),  # other representation: full answer
    ])
    assert [a[0] for a in again] == [304, 304, 200]
    for _status, headers, body in again[:2]:
        assert body == b'' and headers['cache-control'] == 'no-cache' and 'etag' in headers
    (web_root / 'index.html').write_bytes(HTML + b'<!-- new build -->')
    ((status, headers, body),) = serve(web_root, [('GET', '/', {'If-None-Match':
                                                                plain[1]['etag']})])
    assert status == 200 and body.endswith(b'new build -->')


def test_config_json_is_revalidated_too(web_root):
    ((status, headers, body),) = serve(web_root, [('GET', '/config.json', {})])
    assert status == 200 and headers['cache-control'] == 'no-cache' and 'etag' in headers
    ((status, _, body),) = serve(web_root, [('GET', '/config.json',
                                             {'If-None-Match': headers['etag']})])
    assert status == 304 and body == b''


@pytest.mark.parametrize('header, expected', [
    ('gzip, deflate, br', {'gzip', 'deflate', 'br'}),
    ('gzip;q=1.0, br; q=0', {'gzip'}),
    ('*', {'gzip', 'br'}),
    ('*;q=0.1, br;q=0', {'gzip'}),
    ('identity', {'identity'}),
    ('', set()),
    (None, set()),
    ('GZIP;Q=0.5', {'gzip'}),
    ('br;q=abc', set()),
])
def test_accept_encoding_parsing(header, expected):
    assert accepted_codings(header) == expected
