from setuptools import find_packages, setup

package_name = 'kropbot_range'

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
    description='Time-of-flight range sensors of KropBot (cliff, forward) as sensor_msgs/Range.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'range_sensors = kropbot_range.sensor_node:main',
        ],
    },
)
