"""roslibpy's unchanged ``Ros.authenticate()`` produces an op the rosauth Verifier accepts.

A tiny WebSocket server (websockets, in a thread) records what roslibpy sends; no ROS needed.
"""

import asyncio
import json
import threading
import time

from kropbot_gateway.auth import Verifier, auth_op
from kropbot_testing.processes import free_port, wait_for
import roslibpy
from websockets.asyncio.server import serve

SECRET = 'roslibpy-secret-0123'


def test_roslibpy_authenticate_is_accepted_and_replay_refused():
    port = free_port()
    received = []
    ready = threading.Event()
    stop = None

    async def handler(ws):
        async for text in ws:
            received.append(json.loads(text))

    def server():
        nonlocal stop

        async def main():
            nonlocal stop
            stop = asyncio.get_running_loop().create_future()
            async with serve(handler, '127.0.0.1', port):
                ready.set()
                await stop
        asyncio.run(main())

    thread = threading.Thread(target=server, daemon=True)
    thread.start()
    assert ready.wait(10)
    ros = roslibpy.Ros(host='127.0.0.1', port=port)
    op = auth_op(SECRET, 'laptop', '127.0.0.1', now=time.time(), lifetime=60)
    # roslibpy sends the op when the connection becomes ready: call it before run()
    ros.authenticate(*(op[k] for k in ('mac', 'client', 'dest', 'rand', 't', 'level', 'end')))
    ros.run(timeout=10)
    try:
        wait_for(lambda: any(m.get('op') == 'auth' for m in received), 10,
                 message='the auth op at the server')
    finally:
        ros.close()
        ros_loop = stop.get_loop()
        ros_loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(5)
    sent = next(m for m in received if m.get('op') == 'auth')
    assert sent == op
    verifier = Verifier({'desk': SECRET})
    result = verifier.verify(sent)
    assert result.ok and result.operator == 'desk'
    assert verifier.verify(sent).reason == 'reused "rand"'
