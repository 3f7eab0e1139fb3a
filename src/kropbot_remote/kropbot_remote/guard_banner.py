"""The cliff and obstacle guard's banner for the overlay (crowd/status ``guard``; pure).

The same states and words as the page (``web/src/logic/guard.js``): the guard between the vote
node and the driver reports ``cliff`` (no floor ahead: forward refused), ``stale`` (a range
sensor is silent: forward refused), ``obstacle`` (something ahead: forward slowed or stopped),
or null. Reversing and turning always pass, so each banner says how to get going again.
"""

#: Banner text per guard state.
GUARD_BANNERS = {
    'cliff': 'STOPPED AT AN EDGE - forward is blocked: drive back or turn away',
    'stale': 'SAFETY SENSOR SILENT - forward is blocked: back or turn only',
    'obstacle': 'OBSTACLE AHEAD - forward is slowed or stopped: turn or drive back',
}


def guard_banner(status):
    """Return the banner text for a ``crowd/status`` dict, or None when nothing is limited.

    Anything but one of the known states (missing key, null, unknown text, another type) is
    None: the overlay never shows text the robot did not send as a known state.
    """
    if not isinstance(status, dict):
        return None
    state = status.get('guard')
    return GUARD_BANNERS.get(state) if isinstance(state, str) else None
