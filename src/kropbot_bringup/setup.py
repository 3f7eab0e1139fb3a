from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'kropbot_bringup'

# The crowd's web page is built from ../../web with npm (see web/README.md) and installed into
# share/kropbot_bringup/web, where the gateway serves it from by default. The robot needs only the
# built files, never Node.js.
WEB_DIST = os.path.join('..', '..', 'web', 'dist')


def web_data_files():
    files = []
    for dirpath, _, names in os.walk(WEB_DIST):
        rel = os.path.relpath(dirpath, WEB_DIST)
        target = os.path.normpath(os.path.join('share', package_name, 'web', rel))
        files.append((target, [os.path.join(dirpath, n) for n in names]))
    return files


setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/config', glob('config/*.yaml')),
        ('share/' + package_name + '/systemd', glob('systemd/*')),
    ] + web_data_files(),
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='KropBot developers',
    maintainer_email='dev@kropbot.invalid',
    description='Launch file and shared configuration that start the whole KropBot stack.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'install_service = kropbot_bringup.install_service:main',
        ],
    },
)
