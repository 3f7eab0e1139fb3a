"""Motor update cost: I2C transactions and bytes per two-motor update through the real MotorKit.

``kropbot_driver.backends.MotorKitBackend`` drives the real ``adafruit_motorkit`` /
``adafruit_pca9685`` / ``adafruit_motor`` libraries on ``FakePCA9685Bus``, which counts every
transaction and byte. One update is one ``set_throttles(left, right)`` call (what the driver's
control loop does when the mixed throttles change; it skips the call when they are unchanged).

Run: ``python bench/motor_cost.py``. No ROS, no server.
"""

import random
import time

from common import parser, print_table, write_json
from kropbot_driver.backends import MotorKitBackend
from kropbot_driver.fake_pca9685 import FakePCA9685Bus
from tqdm import tqdm


def bus_time_us(transactions, bytes_written, bytes_read, khz):
    """Estimate the wire time (us) of I2C traffic at ``khz`` SCL.

    Each byte (address byte included) is 9 clocks (8 data + ACK); a transaction adds a START
    and STOP (~2 clocks); a read transaction adds a repeated START and a second address byte.
    Standard I2C framing (NXP UM10204); the PCA9685 supports 100 kHz and 400 kHz (and 1 MHz).
    """
    clocks = 9 * (transactions + bytes_written + bytes_read) + 2 * transactions
    return clocks * 1000.0 / khz


def cases(rng):
    """Return ``{case name: list of (left, right)}`` throttle sequences."""
    changing = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(1000)]
    return {
        'changing': changing,
        'unchanged': [(0.5, -0.25)] * 1000,
        'stop_brake': [(0.0, 0.0)] * 1000,
        'full_forward': [(1.0, 1.0)] * 1000,
    }


def measure(name, sequence, stop_mode, updates):
    """Run ``updates`` updates of ``sequence`` (cycled); return a result row."""
    bus = FakePCA9685Bus(0x60)
    motors = MotorKitBackend(i2c=bus, stop_mode=stop_mode)
    motors.set_throttles(*sequence[-1])  # the state before the first measured update
    t0, w0, r0 = bus.transactions, bus.bytes_written, bus.bytes_read
    c0 = time.process_time()
    for i in range(updates):
        motors.set_throttles(*sequence[i % len(sequence)])
    cpu = time.process_time() - c0
    tr = (bus.transactions - t0) / updates
    bw = (bus.bytes_written - w0) / updates
    br = (bus.bytes_read - r0) / updates
    return {'case': name, 'stop_mode': stop_mode, 'updates': updates,
            'transactions': tr, 'bytes_written': bw, 'bytes_read': br,
            'wire_us_100k': bus_time_us(tr, bw, br, 100),
            'wire_us_400k': bus_time_us(tr, bw, br, 400),
            'cpu_us': cpu / updates * 1e6}


def main():
    """Run the benchmark and print/write the results."""
    p = parser(__doc__.split('\n\n')[0], 'motor_cost')
    p.add_argument('--updates', type=int, default=2000, help='updates measured per case')
    p.add_argument('--seed', type=int, default=1)
    args = p.parse_args()
    if args.short:
        args.updates = 100
    rng = random.Random(args.seed)
    rows = []
    jobs = [(name, seq, 'brake') for name, seq in cases(rng).items()]
    jobs.append(('stop_coast', [(0.0, 0.0)], 'coast'))
    for name, seq, mode in tqdm(jobs, desc='motor', unit='case'):
        rows.append(measure(name, seq, mode, args.updates))
    print_table('Two-motor update cost (MotorKit on FakePCA9685Bus), per update',
                ['case', 'stop_mode', 'updates', 'transactions', 'bytes_written', 'bytes_read',
                 'wire_us_100k', 'wire_us_400k', 'cpu_us'], rows)
    print('wire_us_*: estimated I2C bus time per update at 100/400 kHz SCL; the driver calls '
          'set_throttles only when the mixed throttles change (unchanged -> 0 traffic).')
    write_json(args.json, 'motor_cost', {'updates': args.updates, 'short': args.short}, rows)


if __name__ == '__main__':
    main()
