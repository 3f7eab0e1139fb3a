"""The crowd modes' keys of ``crowd/status`` (pure, ROS-free): an extension of the status.

:func:`mode_status` returns the keys the modes add to the object built by
:func:`kropbot_vote.status.status_dict`; :func:`extend_status` merges them without touching any
existing key, so a roslibjs client that ignores unknown keys keeps working unchanged. The
contract keys (``voters``, ``histogram``, ``command``, ...) keep their meaning in every mode:
``voters`` and ``histogram`` describe the live votes, ``command`` is what is published.

Added keys (schema in the package README, "Crowd modes"):

- ``mode``: the mode in force (:data:`kropbot_vote.modes.MODES`); ``mode_source``:
  ``operator`` or ``crowd``; ``mode_age``: seconds since it started;
- ``paused``: True while the operator has paused the crowd (the robot is stopped);
  ``paused_for``: seconds since the pause began (None while not paused);
- the section of the mode in force, one of ``anarchy``, ``democracy``, ``queue`` (each core's
  ``status``); ``vote`` mode adds none (its data are the contract keys);
- ``switch``: the crowd's mode meter (:meth:`kropbot_vote.mode_switch.ModeSwitch.status`).

Voters appear only as tokens (:mod:`kropbot_common.voter_token`), never by id.
"""

#: Top-level keys :func:`mode_status` may add.
MODE_STATUS_KEYS = ('mode', 'mode_source', 'mode_age', 'paused', 'paused_for', 'anarchy',
                    'democracy', 'queue', 'switch')


def mode_status(controller, now):
    """Return the crowd-mode keys of ``crowd/status`` at ``now`` (s).

    Args:
        controller: the :class:`kropbot_vote.modes.ModeController`.
        now: current time (s, the controller's clock).

    Returns:
        dict with ``mode``, ``mode_source``, ``mode_age``, ``paused``, ``paused_for``,
        ``switch`` and, outside ``vote`` mode, the mode's section under its own name (see the
        module docstring).

    """
    since = controller.paused_since
    out = {'mode': controller.mode, 'mode_source': controller.source,
           'mode_age': max(0.0, now - controller.since), 'paused': controller.paused,
           'paused_for': None if since is None else max(0.0, now - since)}
    if controller.core is not None:
        out[controller.mode] = controller.core.status(now)
    out['switch'] = controller.switch.status(now, controller.mode, controller.crowd_switch)
    return out


def extend_status(status, extra):
    """Return ``status`` (the dict of ``status_dict``) with the keys of ``extra`` added.

    Raises:
        ValueError: if a key of ``extra`` already exists (the extension never redefines an
            existing key).

    """
    clash = set(status) & set(extra)
    if clash:
        raise ValueError(f'status keys redefined: {sorted(clash)}')
    out = dict(status)
    out.update(extra)
    return out
