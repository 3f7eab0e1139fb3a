"""The gateway's plain HTTP side: the page's static files and ``/config.json`` (ROS-free).

Requests without a WebSocket upgrade are answered here: files under ``web_root`` (``/`` ->
``index.html``; no escape from the root, no hidden files) and the generated ``/config.json``
that tells the page how to reach the robot (the contract is in doc/gateway.md):

- ``{"voter_id": "server"}``: the page speaks rosbridge to this same port and the gateway
  assigns each connection its voter id;
- ``{"voter_id": "client", "rosbridge_port": N}`` (parameter ``websocket`` false, launch
  ``bridge:=rosbridge``): the page connects to a stock rosbridge server on port N of the page's
  host and sends its own random per-tab voter id in ``header.frame_id``.

Every response has ``Cache-Control: no-cache`` and ``X-Content-Type-Options: nosniff``.
"""

import http
import json
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Response

CONFIG_PATH = '/config.json'


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


def response(status, body, content_type):
    """Return a websockets HTTP ``Response`` (``status`` int, ``body`` bytes) that closes."""
    headers = Headers([
        ('Content-Type', content_type), ('Content-Length', str(len(body))),
        ('Cache-Control', 'no-cache'), ('X-Content-Type-Options', 'nosniff'),
        ('Connection', 'close'),
    ])
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


def text_response(status, text):
    """Return a plain-text response (UTF-8)."""
    return response(status, text.encode(), 'text/plain; charset=utf-8')


def static_response(config, raw_path):
    """Answer a plain GET of ``raw_path`` for a :class:`~kropbot_gateway.config.GatewayConfig`.

    Returns:
        ``(response, stats_key)``; ``stats_key`` is ``'http_200'``, ``'http_404'`` or
        ``'http_config'``.

    """
    if urlsplit(raw_path).path == CONFIG_PATH:
        body = json.dumps(page_config(config.websocket, config.rosbridge_port)).encode()
        return response(200, body, 'application/json; charset=utf-8'), 'http_config'
    path = static_file(config.web_root, raw_path)
    if path is None:
        if not config.web_root:
            text = 'KropBot web page not found: the page is not built/installed (web_root).'
            if config.websocket:
                text += ' The WebSocket (rosbridge v2) on this port still works.'
            return text_response(404, text + '\n'), 'http_404'
        return text_response(404, 'Not found\n'), 'http_404'
    ctype = mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
    if ctype.startswith('text/') or ctype in ('application/javascript', 'application/json'):
        ctype += '; charset=utf-8'
    return response(200, path.read_bytes(), ctype), 'http_200'


def websocket_off_response(rosbridge_port):
    """Return the answer to a WebSocket upgrade when ``websocket`` is false (HTTP 404)."""
    return text_response(
        404, 'No WebSocket on this port: it serves the KropBot page only (bridge:=rosbridge). '
             f'The page connects to the rosbridge server on port {rosbridge_port} '
             f'(see {CONFIG_PATH}).\n')
