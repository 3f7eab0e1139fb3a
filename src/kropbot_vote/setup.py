from setuptools import find_packages, setup

package_name = 'kropbot_vote'

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
    description='Crowd vote fusion node of KropBot (fuses crowd votes into cmd_vel).',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'vote_node = kropbot_vote.vote_node:main',
        ],
    },
)
