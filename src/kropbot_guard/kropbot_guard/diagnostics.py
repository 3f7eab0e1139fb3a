"""The guard's ``guard/state`` text and ``diagnostics`` status (message types only, no rclpy)."""

import math

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

#: ``guard/state`` text when nothing is limited.
CLEAR = 'clear'


def state_text(assessment):
    """Return the ``guard/state`` text of an :class:`~kropbot_guard.core.Assessment`.

    ``'cliff'``, ``'stale'``, ``'obstacle'`` or :data:`CLEAR`.
    """
    return assessment.state or CLEAR


def _reading_text(latest, now):
    if latest is None:
        return 'none', 'never'
    value, arrival = latest
    text = f'{value:.3f}' if math.isfinite(value) else repr(value)
    return text, f'{now - arrival:.3f}'


def guard_status(name, core, now):
    """Return the guard's ``DiagnosticStatus`` at ``now`` (s, the core's clock).

    Level: ERROR while the maintenance bypass is on or an enforced sensor is stale (forward
    motion refused for want of a sensor); WARN while a cliff or obstacle limits forward motion
    or a warn-mode condition is seen; else OK.

    Args:
        name: status name (``<node>: cliff and obstacle guard``).
        core: the :class:`~kropbot_guard.core.GuardCore`.
        now: s.

    """
    a = core.assess(now)
    cfg = core.cfg
    if cfg.bypass:
        level, message = DiagnosticStatus.ERROR, 'MAINTENANCE BYPASS: not guarding'
    elif a.state == 'stale':
        level, message = DiagnosticStatus.ERROR, (
            f'no fresh reading from {", ".join(a.stale)}: forward motion refused')
    elif a.state == 'cliff':
        level, message = DiagnosticStatus.WARN, 'no floor ahead: forward motion refused'
    elif a.state == 'obstacle':
        level, message = DiagnosticStatus.WARN, (
            'obstacle ahead: forward motion stopped' if a.factor == 0.0 else
            f'obstacle ahead: forward speed x {a.factor:.2f}')
    elif a.warnings:
        level, message = DiagnosticStatus.WARN, '; '.join(a.warnings)
    else:
        level, message = DiagnosticStatus.OK, 'clear'
    cliff, cliff_age = _reading_text(core.latest('cliff'), now)
    front, front_age = _reading_text(core.latest('front'), now)
    values = {
        'state': state_text(a), 'forward_factor': f'{a.factor:.3f}',
        'cliff_mode': cfg.cliff_mode, 'front_mode': cfg.front_mode,
        'maintenance_bypass': str(cfg.bypass).lower(),
        'cliff_range': cliff, 'cliff_age': cliff_age, 'front_range': front,
        'front_age': front_age, 'cliff_threshold': f'{cfg.cliff_threshold}',
        'stop_distance': f'{cfg.stop_distance}', 'slow_distance': f'{cfg.slow_distance}',
        'limited': str(core.limited), 'refused': str(core.refused),
        'nonfinite': str(core.nonfinite), 'warnings': '; '.join(a.warnings),
    }
    return DiagnosticStatus(level=level, name=name, message=message, hardware_id='guard',
                            values=[KeyValue(key=k, value=v) for k, v in values.items()])
