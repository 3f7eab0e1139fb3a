"""The ROS side of the shared helpers: declare a schema, validate run-time changes, run a node.

Imports rclpy; only node modules import this (pure cores use :mod:`kropbot_common.params`).
Uses only rclpy APIs present in both Jazzy and Kilted.

Every KropBot node's ``main`` is the same two lines (ros2/demos ``demo_nodes_py`` style)::

    def main(args=None):
        return run_node(CameraNode, args, name='camera')

(the vote node adds ``executor=VoteNode.make_executor`` to spin on the executor its
``executor`` parameter names).
"""

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    ParameterType,
    SetParametersResult,
)
import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.parameter import Parameter

from kropbot_common.errors import StartupError
from kropbot_common.params import ParameterError, by_name, check, check_values

_TYPES = {'bool': ParameterType.PARAMETER_BOOL, 'int': ParameterType.PARAMETER_INTEGER,
          'float': ParameterType.PARAMETER_DOUBLE, 'str': ParameterType.PARAMETER_STRING,
          'str[]': ParameterType.PARAMETER_STRING_ARRAY}


def descriptor(param):
    """Return the ``ParameterDescriptor`` of a :class:`~kropbot_common.params.Param`.

    Description (with the unit), type, ``read_only``, the numeric range (rclpy then refuses
    out-of-range values itself) and, for enumerated strings, the choices in
    ``additional_constraints``.
    """
    text = param.description + (f' [{param.unit}]' if param.unit else '')
    desc = ParameterDescriptor(description=text, type=_TYPES[param.kind],
                               read_only=param.read_only)
    if param.choices:
        desc.additional_constraints = 'one of: ' + ', '.join(param.choices)
    if param.kind == 'int' and param.low is not None and param.high is not None:
        desc.integer_range = [IntegerRange(from_value=int(param.low), to_value=int(param.high),
                                           step=1)]
    elif param.kind == 'float' and param.low is not None and param.high is not None:
        desc.floating_point_range = [FloatingPointRange(
            from_value=float(param.low), to_value=float(param.high), step=0.0)]
    return desc


def declare_parameters(node, schema):
    """Declare every parameter of ``schema`` on ``node``; return the validated values.

    Args:
        node: an ``rclpy.node.Node``.
        schema: iterable of :class:`~kropbot_common.params.Param`.

    Returns:
        dict name -> value (see :func:`~kropbot_common.params.check_values`).

    Raises:
        ParameterError: a value from the parameter file or ``-p`` has the wrong type, is out
            of range or not one of the choices (the message names the parameter).

    """
    values = {}
    for param in schema:
        desc = descriptor(param)
        try:
            if param.kind == 'str[]' and not param.default:
                # An empty list would be inferred as a byte array: declare the type instead.
                declared = node.declare_parameter(param.name, Parameter.Type.STRING_ARRAY, desc)
                value = declared.value if declared.value is not None else []
            else:
                value = node.declare_parameter(param.name, param.default, desc).value
        except ParameterException as exc:
            raise ParameterError(f'parameter {param.name!r}: {_reason(exc)}') from None
        values[param.name] = value
    return check_values(schema, values)


def _reason(exc):
    """Return the readable part of an rclpy ``ParameterException`` message."""
    text = str(exc)
    return text.split('Reason: ', 1)[-1] if 'Reason: ' in text else text


def set_parameters_callback(schema, apply):
    """Return an ``add_on_set_parameters_callback`` callback that validates, then applies.

    Read-only parameters are refused by rclpy itself (their descriptor). Each writable value is
    checked with :func:`~kropbot_common.params.check`; if all pass, ``apply(changes)`` is called
    with ``{name: value}`` of the schema's parameters in the request and may return a reason
    (str) to refuse the whole change, or None to accept it.
    """
    params_by_name = by_name(schema)

    def _callback(params):
        changes = {}
        for p in params:
            spec = params_by_name.get(p.name)
            if spec is None:
                continue
            if spec.read_only:
                return SetParametersResult(
                    successful=False,
                    reason=f'parameter {p.name!r} is read-only: restart the node')
            error = check(spec, p.value)
            if error:
                return SetParametersResult(successful=False, reason=error)
            changes[p.name] = float(p.value) if spec.kind == 'float' else p.value
        reason = apply(changes) if changes else None
        return SetParametersResult(successful=reason is None, reason=reason or '')

    return _callback


def run_node(make_node, args=None, *, name, executor=None):
    """Init rclpy, build the node, spin it until SIGINT/SIGTERM, clean up; return the exit code.

    Args:
        make_node: callable returning the node (its class, usually).
        args: command-line arguments for ``rclpy.init`` (None: ``sys.argv``).
        name: logger name for start-up errors (the node name).
        executor: callable ``(node) -> executor`` called once the node exists (so the node's
            parameters can choose it, and after ``rclpy.init``: an rclpy executor cannot be
            built before); None gives a ``SingleThreadedExecutor``. The executor is driven
            with ``spin_once`` in a loop with a 0.5 s timeout, so it notices a shutdown
            promptly even if a signal woke it just before the context went down (and the
            ``EventsExecutor.spin()`` of the Kilted wheels never runs timers).

    Returns:
        0 after a normal shutdown; 1 when the node could not start (a
        :class:`~kropbot_common.params.ParameterError` or
        :class:`~kropbot_common.errors.StartupError`, logged as one FATAL line
        ``cannot start: <reason>``).

    Raises:
        Exception: any other error, after the clean-up (``executor.shutdown()``, then
            ``node.destroy_node()``, which e.g. releases the motors, then ``rclpy`` shutdown).
            An exception raised while the context is already shut down (a SIGINT/SIGTERM
            that landed inside a callback, whose publish then failed) is a normal shutdown.

    """
    rclpy.init(args=args)
    try:
        node = make_node()
    except (ParameterError, StartupError) as exc:
        rclpy.logging.get_logger(name).fatal(f'cannot start: {exc}')
        rclpy.try_shutdown()
        return 1
    except BaseException:
        # A SIGINT/SIGTERM while the node is being built shuts the context down under it
        # (rclpy then raises from whatever it was doing): that is a stop request, not a crash.
        stopping = not rclpy.ok()
        rclpy.try_shutdown()
        if stopping:
            return 0
        raise
    try:
        spinner = executor(node) if executor is not None else SingleThreadedExecutor()
        spinner.add_node(node)
    except BaseException:
        node.destroy_node()
        rclpy.try_shutdown()
        raise
    try:
        while rclpy.ok():
            spinner.spin_once(timeout_sec=0.5)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        if rclpy.ok():
            raise
    finally:
        try:
            spinner.shutdown()
        finally:
            node.destroy_node()
            rclpy.try_shutdown()
    return 0
