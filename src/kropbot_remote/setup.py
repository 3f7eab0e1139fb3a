from pathlib import Path

from setuptools import find_packages, setup

package_name = 'kropbot_remote'

# ROS-free: a desktop installs it with plain `pip install src/kropbot_remote` (no ROS needed).
# kropbot_gateway (its ROS-free core: the rosauth MAC) is this repository's sibling package.
GATEWAY = (Path(__file__).resolve().parent.parent / 'kropbot_gateway').as_uri()

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml', 'README.md']),
    ],
    # OpenCV is not listed: opencv-python-headless (robot/dev venv) and opencv-python (a desktop
    # that already has it) both provide `cv2` and cannot be installed together; the client only
    # needs imdecode/resize/putText, which both have. requirements-remote.txt names one.
    install_requires=['setuptools', 'websockets>=13', 'cbor2', 'numpy', 'pygame-ce>=2.4',
                      f'kropbot_gateway @ {GATEWAY}'],
    zip_safe=True,
    maintainer='KropBot developers',
    maintainer_email='dev@kropbot.invalid',
    description='KropBot desktop client: camera window and gamepad/keyboard driving.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'remote = kropbot_remote.main:main',
            'kropbot-remote = kropbot_remote.main:main',
        ],
    },
)
