from setuptools import find_packages, setup

package_name = 'kropbot_driver'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='KropBot developers',
    maintainer_email='dev@kropbot.invalid',
    description=('Differential-drive driver for the Adafruit MotorHAT '
                 '(adafruit-circuitpython-motorkit) with a simulated backend.'),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'driver_node = kropbot_driver.driver_node:main',
            'motor_watchdog = kropbot_driver.watchdog:main',
            'wiring_check = kropbot_driver.wiring_check:main',
        ],
    },
)
