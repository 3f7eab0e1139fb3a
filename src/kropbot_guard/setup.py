from setuptools import find_packages, setup

package_name = 'kropbot_guard'

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
    description='Cliff and obstacle guard of KropBot (cmd_vel -> cmd_vel_safe).',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'guard_node = kropbot_guard.guard_node:main',
        ],
    },
)
