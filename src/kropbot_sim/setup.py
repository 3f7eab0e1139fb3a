from setuptools import find_packages, setup

package_name = 'kropbot_sim'

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
    description=('The KropBot sim arena: world file, collisions and falls, range sensors, a '
                 'first-person ray caster, the scripted expert and fast roll-outs.'),
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'expert = kropbot_sim.expert_node:main',
        ],
    },
)
