"""How far the robot travels after its cliff sensor passes an edge (pure; the derivation).

The downward sensor looks at the floor ``look_ahead`` m ahead of the point that must stay on
the floor (the sim counts a fall when the robot's centre enters a pit; the sensor sits at the
front edge, one radius ahead). From the instant its spot crosses the edge:

1. **Detection**, ≤ ``sensor_period + measurement_time``: the measurement in progress may still
   see floor; the next one starts at most one period later and ends ``measurement_time``
   later (for the VL6180X with no target: its maximum convergence time, 49 ms at the default
   ``SYSRANGE__MAX_CONVERGENCE_TIME`` = 0x31, plus 3.1 ms of readout averaging at
   ``READOUT__AVERAGING_SAMPLE_PERIOD`` = 0x30 as the Adafruit driver sets it; datasheet
   section 2.7). A sensor node that cannot keep its rate runs back to back, so the period used
   is ``max(1 / rate, measurement_time)``.
2. **Transport**, ``transport``: DDS from the sensor node to the guard, which republishes the
   reduced command at once (it does not wait for the next ``cmd_vel``), then DDS to the driver.
3. **Control**, ≤ ``control_period``: the driver applies the newest command at its next control
   step (``1 / update_rate``); the sim integrates each step with the command it started with.
4. **Braking**, ``v² / (2 a)``: a short brake (``stop_mode: brake``) at deceleration ``a``.

``stopping_distance = v · (detection + transport + control) + v² / (2 a)`` must stay below
``look_ahead``; :func:`margin` is the difference. The numbers of the documented robot and of the
sim are :data:`ROBOT` and :data:`SIM` (the package README prints them with :func:`table`).
"""

from dataclasses import dataclass
import math


@dataclass(frozen=True)
class LatencyBudget:
    """Inputs of the stopping-distance derivation (SI units).

    Attributes:
        speed: top forward speed, m/s (the vote node's ``max_linear``).
        sensor_period: s between two cliff measurements (``1 / rate`` of the sensor node).
        measurement_time: s one measurement takes (worst case: no target).
        transport: s of DDS and guard processing, sensor → guard → driver.
        control_period: s, the driver's control step (``1 / update_rate``).
        deceleration: m/s² while braking; ``inf`` for an instant stop (the sim).
        look_ahead: m from the sensor's spot on the floor back to the point that must not
            pass the edge.
        pose_age: s the sensor's input may lag reality (sim: the newest ``odom`` is up to one
            driver step old; 0 for a real sensor).

    """

    speed: float
    sensor_period: float
    measurement_time: float
    transport: float
    control_period: float
    deceleration: float
    look_ahead: float
    pose_age: float = 0.0

    @property
    def detection(self):
        """Worst-case time from the edge to a reading that shows it, s."""
        return self.pose_age + max(self.sensor_period, self.measurement_time) + \
            self.measurement_time

    @property
    def latency(self):
        """Worst-case time from the edge to the motors braking, s."""
        return self.detection + self.transport + self.control_period

    @property
    def reaction_distance(self):
        """M driven at ``speed`` during :attr:`latency`."""
        return self.speed * self.latency

    @property
    def braking_distance(self):
        """M to brake from ``speed`` (0 for an infinite deceleration)."""
        if math.isinf(self.deceleration):
            return 0.0
        return self.speed ** 2 / (2.0 * self.deceleration)


def stopping_distance(budget):
    """Return the worst-case distance, m, driven after the sensor's spot passes an edge."""
    return budget.reaction_distance + budget.braking_distance


def margin(budget):
    """Return ``look_ahead - stopping_distance``, m (must be > 0)."""
    return budget.look_ahead - stopping_distance(budget)


def max_safe_speed(budget):
    """Return the highest speed, m/s, whose stopping distance equals ``look_ahead``.

    Solves ``v·L + v²/(2a) = look_ahead`` for ``v`` (``L`` = :attr:`LatencyBudget.latency`).
    """
    latency = budget.latency
    if math.isinf(budget.deceleration):
        return budget.look_ahead / latency
    k = 1.0 / (2.0 * budget.deceleration)
    return (-latency + math.sqrt(latency ** 2 + 4.0 * k * budget.look_ahead)) / (2.0 * k)


#: The documented robot: 0.3 m/s (vote ``max_linear``), VL6180X at 25 Hz (no-target
#: measurement 52 ms: longer than the 40 ms period), 10 ms DDS + guard, driver at 20 Hz, a short
#: brake of 2 m/s² (an assumption for a 0.5 kg robot on TT gear motors: measure yours: drive at
#: full speed, stop publishing, measure the distance), sensor at the front edge, 8 cm ahead of
#: the centre.
ROBOT = LatencyBudget(speed=0.3, sensor_period=1 / 25, measurement_time=0.052, transport=0.01,
                      control_period=1 / 20, deceleration=2.0, look_ahead=0.08)
#: The sim (``make run``): the sim sensor computes a reading from the newest ``odom`` (up to one
#: 50 ms driver step old) 25 times a second and instantly; the sim robot stops at once.
SIM = LatencyBudget(speed=0.3, sensor_period=1 / 25, measurement_time=0.0, transport=0.01,
                    control_period=1 / 20, deceleration=math.inf, look_ahead=0.08,
                    pose_age=1 / 20)


def table(budgets=(('robot', ROBOT), ('sim', SIM))):
    """Return a markdown table of the derivation for ``(name, LatencyBudget)`` pairs."""
    rows = ['| | speed (m/s) | detection (ms) | transport (ms) | control (ms) | reaction (mm) '
            '| braking (mm) | stopping (mm) | look-ahead (mm) | margin (mm) | max safe speed '
            '(m/s) |', '|---|---|---|---|---|---|---|---|---|---|---|']
    for name, b in budgets:
        rows.append(
            f'| {name} | {b.speed:.2f} | {b.detection * 1e3:.0f} | {b.transport * 1e3:.0f} | '
            f'{b.control_period * 1e3:.0f} | {b.reaction_distance * 1e3:.0f} | '
            f'{b.braking_distance * 1e3:.0f} | {stopping_distance(b) * 1e3:.0f} | '
            f'{b.look_ahead * 1e3:.0f} | {margin(b) * 1e3:.0f} | {max_safe_speed(b):.2f} |')
    return '\n'.join(rows)


if __name__ == '__main__':
    print(table())
