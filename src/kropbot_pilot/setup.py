from setuptools import find_packages, setup

package_name = 'kropbot_pilot'

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
    description=('Imitation pilot of KropBot: record drives to rosbag2 MCAP, train a small CNN '
                 'exported to ONNX, drive through the crowd gateway with ONNX Runtime.'),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'record = kropbot_pilot.record_node:main',
            'train = kropbot_pilot.train_main:main',
            'pilot = kropbot_pilot.pilot_main:main',
        ],
    },
)
