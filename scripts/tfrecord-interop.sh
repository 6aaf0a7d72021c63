#!/usr/bin/env bash
# TFRecord interoperability with TensorFlow itself (scripts/check-tfrecord-with-tensorflow.py):
# TensorFlow reads the files max-server writes, max-server reads the files TensorFlow writes,
# and damaged records are refused by both. Installs tensorflow-cpu (PyPI) quietly when it is
# missing. Builds max-server unless MAX_SERVER_BIN names one.
#     scripts/tfrecord-interop.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import tensorflow" > /dev/null 2>&1; then
    echo "tfrecord-interop.sh: installing tensorflow-cpu (PyPI)"
    python3 -m pip install --quiet --progress-bar off tensorflow-cpu < /dev/null \
        || python3 -m pip install --quiet --progress-bar off --break-system-packages tensorflow-cpu < /dev/null
fi
if [ -z "${MAX_SERVER_BIN:-}" ]; then
    swift build --product max-server
    MAX_SERVER_BIN="$(swift build --show-bin-path)/max-server"
fi
export MAX_SERVER_BIN
# TensorFlow's start-up chatter (oneDNN, CUDA probes) goes to stderr before logging is set up.
export TF_CPP_MIN_LOG_LEVEL=3
python3 scripts/check-tfrecord-with-tensorflow.py 2> >(grep -vE "^(WARNING: All log messages|I0000 |E0000 )" >&2)
