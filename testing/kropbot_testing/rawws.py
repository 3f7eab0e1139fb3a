"""A raw-socket WebSocket client for attack tests: bytes that ``websockets`` would refuse to send.

ROS-free, standard library only. :func:`raw_open` does the opening handshake by hand (extra
headers allowed, from a chosen loopback source address), :func:`frame` encodes any client frame
(RFC 6455 section 5.2: masked, optionally with a lying length, RSV1 set, fragmented) and
:func:`read_close_code` reads server frames until the close frame. Used by
``tests/test_gateway_abuse.py`` (in its attacker child process).
"""

import base64
import os
import socket
import struct


def raw_open(port, src, extra_headers='', timeout=10.0):
    """Open a WebSocket with a raw socket; return ``(socket, status, headers_text)``."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=timeout,
                                    source_address=(src, 0))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f'GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n'
                  f'Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n'
                  f'Sec-WebSocket-Version: 13\r\n{extra_headers}\r\n').encode())
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b'\r\n\r\n', 1)[0].decode('latin-1')
    return sock, int(head.split()[1]), head


def frame(opcode, payload, fin=True, rsv1=False, length=None):
    """Encode one masked client frame (RFC 6455 5.2); ``length`` may lie about the size."""
    length = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 65536:
        head += bytes([0x80 | 126]) + struct.pack('!H', length)
    else:
        head += bytes([0x80 | 127]) + struct.pack('!Q', length)
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if len(payload) < 4096 else \
        (int.from_bytes(payload, 'big') ^ int.from_bytes(
            (mask * (len(payload) // 4 + 1))[:len(payload)], 'big')).to_bytes(len(payload), 'big')
    return head + mask + body


def read_close_code(sock, timeout=5.0):
    """Read server frames until a close frame; return its code (None if the TCP just ended)."""
    sock.settimeout(timeout)
    buf = b''
    while True:
        while len(buf) >= 2:
            length, offset = buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    break
                length, offset = struct.unpack('!H', buf[2:4])[0], 4
            elif length == 127:
                if len(buf) < 10:
                    break
                length, offset = struct.unpack('!Q', buf[2:10])[0], 10
            if len(buf) < offset + length:
                break
            opcode, payload = buf[0] & 0x0F, buf[offset:offset + length]
            buf = buf[offset + length:]
            if opcode == 8:
                return struct.unpack('!H', payload[:2])[0] if len(payload) >= 2 else 1005
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return None
        if not chunk:
            return None
        buf += chunk


def send_ignoring_reset(sock, data):
    """Send ``data``; a reset means the server closed first (its close frame is buffered)."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
