# Source me: activates the venv and the colcon workspace overlay, and sets the DDS defaults.
# Honours ROS_DOMAIN_ID and ROS_AUTOMATIC_DISCOVERY_RANGE from the environment.
_kropbot_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC1091
source "${KROPBOT_VENV:-$_kropbot_root/.venv}/bin/activate"
# colcon's setup scripts read unset variables: relax `set -u` while sourcing them.
case $- in *u*) _kropbot_u=1; set +u ;; *) _kropbot_u= ;; esac
# shellcheck disable=SC1091
source "$_kropbot_root/install/setup.bash"
[ -n "$_kropbot_u" ] && set -u
export RMW_IMPLEMENTATION=${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}
export ROS_AUTOMATIC_DISCOVERY_RANGE=${ROS_AUTOMATIC_DISCOVERY_RANGE:-LOCALHOST}
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-0}
export PYTHONUNBUFFERED=1
