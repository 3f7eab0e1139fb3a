import subprocess
import sys


def test_no_hardware_import_at_module_import():
    code = ('import sys, kropbot_driver.backends, kropbot_driver.driver_node, '
            'kropbot_driver.fake_pca9685, kropbot_driver.mixing, kropbot_driver.kinematics, '
            'kropbot_driver.watchdog; '
            'bad = {"board", "adafruit_motorkit", "busio"} & set(sys.modules); '
            'sys.exit(f"imported at import time: {bad}" if bad else 0)')
    subprocess.run([sys.executable, '-c', code], check=True)
