from pathlib import Path

from setuptools import find_packages, setup

package_name = 'kropbot_gateway'

# The ROS-free core needs only these (plain `pip install src/kropbot_gateway` works without ROS).
# kropbot_common is this repository's sibling package; with a ROS workspace colcon builds it.
COMMON = (Path(__file__).resolve().parent.parent / 'kropbot_common').as_uri()

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools', 'websockets>=17', 'cbor2', f'kropbot_common @ {COMMON}'],
    # relay (issue 12): `pip install src/kropbot_gateway[relay]` adds Zenoh for kropbot-gateway
    # (relay gateway) and kropbot-router.
    extras_require={'relay': ['eclipse-zenoh==1.10.2']},
    zip_safe=True,
    maintainer='KropBot developers',
    maintainer_email='dev@kropbot.invalid',
    description='The KropBot crowd gateway: rosbridge v2 subset over WebSocket and the page.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'gateway_node = kropbot_gateway.gateway_node:main',
            'kropbot-gateway = kropbot_gateway.relay_cli:main',
            'kropbot-router = kropbot_gateway.router:main',
        ],
    },
)
