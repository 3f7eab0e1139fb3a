from setuptools import find_packages, setup

package_name = 'kropbot_relay'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
    ],
    install_requires=['setuptools', 'eclipse-zenoh==1.10.2'],
    zip_safe=True,
    maintainer='KropBot developers',
    maintainer_email='dev@kropbot.invalid',
    description='KropBot relay link: the robot side of the Zenoh relay tier (camera, status '
                'out; vote batches in).',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'relay_link = kropbot_relay.relay_link_node:main',
        ],
    },
)
