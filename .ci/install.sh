#!/usr/bin/env sh
# The one install step that CI (.ci/run) and the container image (deploy/Dockerfile) share, so that the image
# holds exactly what CI tested: a virtual environment in VENV with the project installed by pip.
#   .ci/install.sh .venv -e '.[test]'     CI and development: editable, with the test tools
#   .ci/install.sh /opt/venv .            the image: the bot alone (PyAV's wheels carry FFmpeg; nothing else)
set -eu
venv="$1"
shift
python3 -m venv "$venv"
"$venv/bin/pip" install -q --no-cache-dir "$@"
