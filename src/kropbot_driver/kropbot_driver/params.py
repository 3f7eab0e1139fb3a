"""The driver node's parameters: one schema (pure, ROS-free).

Each entry is a :class:`kropbot_common.params.Param`; the node declares them with
:func:`kropbot_common.ros.declare_parameters`, :func:`kropbot_driver.config.check_config` adds
the rules the schema cannot express (``i2c_bus`` and frame id syntax, cross-parameter rules),
and the package README's table is generated from :data:`PARAMETERS` (``python -m
kropbot_common.params src/kropbot_driver/README.md kropbot_driver.params:PARAMETERS``).
``read_only=False`` means the node applies a run-time change (calibration and stop mode); every
safety limit is read-only.
"""

from kropbot_common.params import Param

#: Values of the ``backend`` parameter.
BACKENDS = ('motorkit', 'sim')
#: Values of the ``stop_mode`` parameter.
STOP_MODES = ('brake', 'coast')
#: PCA9685 PRE_SCALE must be 3..255 (datasheet 7.3.5); adafruit_pca9685 computes it as
#: ``int(25e6 / 4096 / f + 0.5) - 1``, so f in [24, 1700] Hz maps into that range.
PWM_FREQUENCY_RANGE = (24.0, 1700.0)

PARAMETERS = (
    Param('backend', 'motorkit', 'motor backend: `motorkit` (Adafruit MotorHAT over I2C) or '
          '`sim` (simulated robot publishing `odom`)', choices=BACKENDS),
    Param('i2c_address', 0x60, 'I2C address of the MotorHAT PCA9685 (7-bit, 0x03..0x77; '
          'default 0x60 = 96, the original KropBot used 0x6f = 111)', '', 0x03, 0x77),
    Param('i2c_bus', '', "I2C bus of the MotorHAT: `''` = `board.I2C()` (the Pi's bus 1); "
          '`fake:<path>` = a register-level simulated HAT whose PCA9685 registers live in the '
          '256-byte file `<path>` (created if missing), for tests and demos without hardware'),
    Param('watchdog', True, 'motorkit backend: run the `motor_watchdog` process, which turns '
          'every PCA9685 output off if the driver dies or stalls (safety)'),
    Param('watchdog_timeout', 0.25, 'the watchdog turns the motors off after this long without '
          'a heartbeat from the control loop; must be >= 2 / `update_rate` (safety)', 's',
          0.05, 5.0),
    Param('left_motor', 1, 'MotorHAT terminal of the left motor (M1..M4)', '', 1, 4),
    Param('right_motor', 2, 'MotorHAT terminal of the right motor (M1..M4), not the left one',
          '', 1, 4),
    Param('invert_left', False, 'negate the left throttle (motor wired backwards)',
          read_only=False),
    Param('invert_right', False, 'negate the right throttle (motor wired backwards)',
          read_only=False),
    Param('trim_left', 1.0, 'left throttle scale, to make a straight line straight', '',
          0.0, 1.0, read_only=False),
    Param('trim_right', 1.0, 'right throttle scale', '', 0.0, 1.0, read_only=False),
    Param('wheel_separation', 0.12, 'distance between the wheels (safety limit)', 'm',
          0.01, 2.0),
    Param('max_wheel_speed', 0.5, 'wheel speed at throttle 1.0 (safety limit)', 'm/s',
          0.01, 10.0),
    Param('cmd_vel_timeout', 0.5, 'stop when the last `cmd_vel` is this old (fresh while '
          'younger; safety limit)', 's', 0.05, 10.0),
    Param('stop_mode', 'brake', 'how to stop: `brake` (both H-bridge inputs on, short brake) '
          'or `coast` (both off)', choices=STOP_MODES, read_only=False),
    Param('update_rate', 20.0, 'control loop rate: applies the latest command and publishes '
          '`odom` (sim); must be >= 2 / `cmd_vel_timeout`', 'Hz', 1.0, 200.0),
    Param('pwm_frequency', 1600.0, 'PCA9685 PWM frequency (MotorKit default 1600; the chip '
          'rounds to its prescaler: 1600 gives 1526 Hz)', 'Hz', *PWM_FREQUENCY_RANGE),
    Param('odom_frame_id', 'odom', '`header.frame_id` of `odom` (sim backend)'),
    Param('base_frame_id', 'base_link', '`child_frame_id` of `odom` (sim backend)'),
    Param('sim_world', '', "sim backend: the world file (walls, boxes, the stairwell, start "
          "poses; format in kropbot_sim's README), a path or `package://<pkg>/<path>`; `''` = "
          'an empty square arena of `sim_arena_size`'),
    Param('sim_start', 0, 'sim backend: index of the start pose in the world file (also where '
          "`sim/reset` puts the robot); must be 0 when `sim_world` is `''`", '', 0, 999),
    Param('sim_arena_size', 4.0, "side of the square simulated arena centred on the odom "
          "origin when `sim_world` is `''`; its walls stop the sim robot", 'm', 0.5, 100.0),
)
