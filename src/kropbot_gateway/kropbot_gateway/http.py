"""The gateway's plain HTTP side: the page's static files and ``/config.json`` (ROS-free).

Requests without a WebSocket upgrade are answered here (:func:`answer`): files under
``web_root`` (``/`` -> ``index.html``; no escape from the root, no hidden files) and the
generated ``/config.json`` that tells the page how to reach the robot (the contract is in
doc/gateway.md):

- ``{"voter_id": "server"}``: the page speaks rosbridge to this same port and the gateway
  assigns each connection its voter id;
- ``{"voter_id": "client", "rosbridge_port": N}`` (parameter ``websocket`` false, launch
  ``bridge:=rosbridge``): the page connects to a stock rosbridge server on port N of the page's
  host and sends its own random per-tab voter id in ``header.frame_id``.

Headers (doc/gateway.md, "HTTP"):

- every answer: a Content-Security-Policy (:func:`content_security_policy`: only the page's
  own scripts, styles and images, connections to its own origin and WebSocket), the same
  ``frame-ancestors 'none'`` as ``X-Frame-Options: DENY`` for old browsers,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``;
- methods other than GET and HEAD: 405 with ``Allow: GET, HEAD``; HEAD gets GET's headers;
- hashed build assets (``assets/``, names carry a content hash): ``Cache-Control: public,
  max-age=31536000, immutable``; everything else (``index.html``, ``/config.json``):
  ``Cache-Control: no-cache`` with an ``ETag``, and ``304 Not Modified`` on a matching
  ``If-None-Match``;
- a file with a precompressed sibling made at build time (``x.js.br``, ``x.js.gz``, not older
  than ``x.js``) is sent compressed when ``Accept-Encoding`` allows (brotli first), with
  ``Content-Encoding`` and ``Vary: Accept-Encoding``. Nothing is compressed at request time.
"""

import hashlib
import http
import json
import mimetypes
from pathlib import Path
import re
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Response

CONFIG_PATH = '/config.json'
#: The methods the page server answers; others get 405.
METHODS = ('GET', 'HEAD')
#: Cache-Control of content-hashed build assets (Vite's ``assets/`` directory).
IMMUTABLE = 'public, max-age=31536000, immutable'
#: Cache-Control of everything else: the browser revalidates (ETag) before every use.
REVALIDATE = 'no-cache'
#: The build output directory whose file names carry a content hash (vite.config.js).
HASHED_DIR = 'assets'
#: Precompressed siblings, in the server's order of preference: (coding, file suffix).
PRECOMPRESSED = (('br', '.br'), ('gzip', '.gz'))

# A Host header we are willing to repeat in the CSP: a DNS name or IPv4 address, or an IPv6
# literal in brackets, with an optional port. Anything else is left out (only 'self' then).
_HOST = re.compile(r'(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])'
                   r'(?::\d{1,5})?')


def static_file(web_root, raw_path):
    """Map a request path to a file under ``web_root``; return the Path or None.

    ``/`` and directories map to ``index.html``; paths escaping the root, hidden files and
    missing files give None.
    """
    if not web_root:
        return None
    root = Path(web_root).resolve()
    path = unquote(urlsplit(raw_path).path)
    parts = [p for p in path.split('/') if p]
    if any(p.startswith('.') or '\x00' in p or '\\' in p for p in parts):
        return None
    target = root.joinpath(*parts).resolve() if parts else root
    if target != root and root not in target.parents:
        return None
    if target.is_dir():
        target = target / 'index.html'
    return target if target.is_file() else None


def page_config(websocket, rosbridge_port):
    """Return the ``/config.json`` document for the page (a dict).

    Args:
        websocket: True if this server speaks rosbridge itself (it assigns voter ids).
        rosbridge_port: TCP port of the stock rosbridge server when ``websocket`` is False.

    """
    if websocket:
        return {'voter_id': 'server'}
    return {'voter_id': 'client', 'rosbridge_port': rosbridge_port}


def content_security_policy(host, websocket=True, rosbridge_port=9090):
    """Return the Content-Security-Policy header value of every answer.

    Only the page's own origin may provide scripts, styles, images (plus ``blob:``/``data:``
    images: camera frames and the empty favicon) and connections (``fetch`` of
    ``config.json``, the WebSocket); no plugins, no ``<base>``, no form targets, no framing
    (``frame-ancestors 'none'``: click-jacking).

    CSP Level 3 ``'self'`` matches ``ws:``/``wss:`` URLs of the page's host and port (W3C
    webappsec-csp issue 7; Chromium since version 71, Safari since 16), which is what the page
    uses behind the gateway. For older browsers the same WebSocket origin is also listed
    explicitly when ``host`` (the request's Host header) is a plain ``host[:port]``. With
    ``websocket`` False (stock rosbridge mode) the page connects to another port,
    ``ws(s)://<hostname>:<rosbridge_port>/``, which ``'self'`` does not cover: it is listed.

    Args:
        host: the request's Host header (may be None or anything: only a valid host[:port]
            is repeated).
        websocket: the gateway's ``websocket`` parameter.
        rosbridge_port: the stock rosbridge port (``websocket`` False).

    """
    connect = ["'self'"]
    if host and _HOST.fullmatch(host):
        if websocket:
            target = host
        else:
            hostname = host.rsplit(':', 1)[0] if not host.endswith(']') else host
            target = f'{hostname}:{rosbridge_port}'
        connect += [f'ws://{target}', f'wss://{target}']
    return '; '.join((
        "default-src 'none'", "script-src 'self'", "style-src 'self'",
        "img-src 'self' blob: data:", 'connect-src ' + ' '.join(connect),
        "manifest-src 'self'", "base-uri 'none'", "form-action 'none'",
        "frame-ancestors 'none'"))


def _security_headers(host, config):
    return [
        ('Content-Security-Policy', content_security_policy(
            host, getattr(config, 'websocket', True), getattr(config, 'rosbridge_port', 9090))),
        ('X-Frame-Options', 'DENY'), ('X-Content-Type-Options', 'nosniff'),
        ('Referrer-Policy', 'no-referrer'),
    ]


def response(status, body, content_type, extra=(), head=False):
    """Return a websockets HTTP ``Response`` (``status`` int, ``body`` bytes) that closes.

    ``extra`` is a sequence of more ``(name, value)`` headers (they come first, so a
    ``Cache-Control`` there replaces the default ``no-cache``); ``head`` True sends the headers
    of ``body`` (its Content-Length) without it.
    """
    names = {name.lower() for name, _ in extra}
    headers = Headers(list(extra))
    if content_type is not None:
        headers['Content-Type'] = content_type
    if status != 304:
        headers['Content-Length'] = str(len(body))
    if 'cache-control' not in names:
        headers['Cache-Control'] = REVALIDATE
    headers['Connection'] = 'close'
    return Response(status, http.HTTPStatus(status).phrase, headers,
                    b'' if head or status == 304 else body)


def text_response(status, text, extra=(), head=False):
    """Return a plain-text response (UTF-8)."""
    return response(status, text.encode(), 'text/plain; charset=utf-8', extra, head)


def accepted_codings(header):
    """Return the content codings an ``Accept-Encoding`` header value allows (a set).

    RFC 9110 section 12.5.3: a coding is acceptable unless its ``q`` is 0; ``*`` stands for the
    codings not listed (``identity``, if named, is reported like any other; it is always
    possible here).
    """
    allowed, refused, star = set(), set(), False
    for item in (header or '').split(','):
        coding, _, params = item.strip().partition(';')
        coding = coding.strip().lower()
        if not coding:
            continue
        q = 1.0
        for param in params.split(';'):
            key, _, value = param.strip().partition('=')
            if key.strip().lower() == 'q':
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding == '*':
            star = q > 0
        elif q > 0:
            allowed.add(coding)
        else:
            refused.add(coding)
    if star:
        allowed |= {c for c, _ in PRECOMPRESSED} - refused
    return allowed - refused


def _variant(path, accept_encoding):
    """Return ``(file to send, coding or None)``: a fresh precompressed sibling if allowed."""
    codings = accepted_codings(accept_encoding)
    for coding, suffix in PRECOMPRESSED:
        if coding in codings:
            sibling = path.with_name(path.name + suffix)
            try:
                if sibling.stat().st_mtime >= path.stat().st_mtime:
                    return sibling, coding
            except OSError:
                continue
    return path, None


def _etag(body, coding):
    digest = hashlib.sha256(body).hexdigest()[:24]
    return f'"{digest}-{coding}"' if coding else f'"{digest}"'


def _not_modified(if_none_match, etag):
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(',')]
    return '*' in tags or any(t.removeprefix('W/') == etag for t in tags)


def method_not_allowed(host=None, config=None):
    """Return the 405 answer to a method other than GET/HEAD (``Allow: GET, HEAD``)."""
    extra = [*_security_headers(host, config), ('Allow', ', '.join(METHODS))]
    return text_response(405, 'Method not allowed: this server answers GET and HEAD only.\n',
                         extra)


def answer(config, method, raw_path, headers):
    """Answer a plain HTTP request for a :class:`~kropbot_gateway.config.GatewayConfig`.

    Args:
        config: the gateway configuration (``web_root``, ``websocket``, ``rosbridge_port``).
        method: the request method; anything but GET/HEAD gets 405.
        raw_path: the request target (path and query).
        headers: the request headers (``Host``, ``Accept-Encoding``, ``If-None-Match``), a
            mapping with ``get``.

    Returns:
        ``(response, stats_key)``; ``stats_key`` is ``'http_200'``, ``'http_304'``,
        ``'http_404'``, ``'http_405'`` or ``'http_config'``.

    """
    host = headers.get('Host')
    if method not in METHODS:
        return method_not_allowed(host, config), 'http_405'
    head = method == 'HEAD'
    security = _security_headers(host, config)
    if urlsplit(raw_path).path == CONFIG_PATH:
        body = json.dumps(page_config(config.websocket, config.rosbridge_port)).encode()
        return _revalidated(body, 'application/json; charset=utf-8', None, security, headers,
                            head, 'http_config')
    path = static_file(config.web_root, raw_path)
    if path is None:
        if not config.web_root:
            text = 'KropBot web page not found: the page is not built/installed (web_root).'
            if config.websocket:
                text += ' The WebSocket (rosbridge v2) on this port still works.'
            return text_response(404, text + '\n', security, head), 'http_404'
        return text_response(404, 'Not found\n', security, head), 'http_404'
    ctype = mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
    if ctype.startswith('text/') or ctype in ('application/javascript', 'application/json'):
        ctype += '; charset=utf-8'
    source, coding = _variant(path, headers.get('Accept-Encoding'))
    body = source.read_bytes()
    extra = [*security, ('Vary', 'Accept-Encoding')]
    if coding:
        extra.append(('Content-Encoding', coding))
    root = Path(config.web_root).resolve()
    if path.parent == root / HASHED_DIR:
        return response(200, body, ctype, [*extra, ('Cache-Control', IMMUTABLE)], head), \
            'http_200'
    return _revalidated(body, ctype, coding, extra, headers, head, 'http_200')


def _revalidated(body, ctype, coding, extra, headers, head, key):
    etag = _etag(body, coding)
    extra = [*extra, ('ETag', etag), ('Cache-Control', REVALIDATE)]
    if _not_modified(headers.get('If-None-Match'), etag):
        return response(304, b'', None, extra), 'http_304'
    return response(200, body, ctype, extra, head), key


def websocket_off_response(rosbridge_port, host=None, config=None):
    """Return the answer to a WebSocket upgrade when ``websocket`` is false (HTTP 404)."""
    return text_response(
        404, 'No WebSocket on this port: it serves the KropBot page only (bridge:=rosbridge). '
             f'The page connects to the rosbridge server on port {rosbridge_port} '
             f'(see {CONFIG_PATH}).\n', _security_headers(host, config))
