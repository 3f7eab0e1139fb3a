"""Command-line pieces shared by the gateway's ROS-free runners (core: no ROS).

``kropbot-gateway`` (:mod:`kropbot_gateway.relay_cli`, the relay gateway) and
``python -m kropbot_gateway.standalone`` (the server on stdin/stdout) take the ``gateway``
node's parameters the same way: ``--address``, ``--port`` and ``--web-root`` set those three, and
``-p name=value`` any other one of :data:`kropbot_gateway.config.PARAMETERS` (same schema, same
defaults, same checks as the node). Both log through :class:`StderrLog`.
"""

import argparse
import json
import sys
import time

from kropbot_common.params import by_name

from kropbot_gateway.config import PARAMETERS

#: The gateway parameters by name (the ``gateway`` node's schema).
SCHEMA = by_name(PARAMETERS)
#: Parameters set by their own options, not ``-p``.
OWN_OPTIONS = {'address': '--address', 'port': '--port', 'web_root': '--web-root'}


class StderrLog:
    """The server's logger (``info``/``warning``/``error``): one line each on stderr.

    ``[LEVEL] [wall time s] [name]: text``, the layout of ROS 2 console output.
    """

    def __init__(self, name):
        self.name = name

    def _line(self, level, text):
        print(f'[{level}] [{time.time():.3f}] [{self.name}]: {text}', file=sys.stderr,
              flush=True)

    def info(self, text):
        """Log at INFO."""
        self._line('INFO', text)

    def warning(self, text):
        """Log at WARN."""
        self._line('WARN', text)

    def error(self, text):
        """Log at ERROR."""
        self._line('ERROR', text)


def parse_param(text):
    """Parse ``-p name=value``: a gateway parameter, its value as JSON if it parses, else text.

    Raises:
        argparse.ArgumentTypeError: no ``=``, a name outside :data:`SCHEMA`, or one of
            :data:`OWN_OPTIONS` (argparse then exits 2 with the message).

    """
    name, sep, value = text.partition('=')
    if not sep or name not in SCHEMA:
        raise argparse.ArgumentTypeError(
            f'expected name=value with name one of: {", ".join(SCHEMA)}')
    if name in OWN_OPTIONS:
        raise argparse.ArgumentTypeError(f'set {name} with {OWN_OPTIONS[name]}')
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def add_param_option(parser, help):
    """Add ``-p/--param NAME=VALUE`` (repeatable, :func:`parse_param`) to ``parser``."""
    parser.add_argument('-p', '--param', type=parse_param, action='append', default=[],
                        metavar='NAME=VALUE', help=help)


def param_values(args, web_root):
    """Return the parameter values of parsed ``args``: the ``-p`` ones, ``--address``,
    ``--port`` and ``web_root`` (for :func:`kropbot_gateway.config.config_from_params`).
    """  # noqa: D205 - the list does not fit the first line
    return {**dict(args.param), 'address': args.address, 'port': args.port,
            'web_root': web_root}
