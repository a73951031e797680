#!/bin/sh
# The image's entrypoint: `apus run` with its settings from the environment, so that an
# orchestrator changes them without rebuilding; arguments given to the container are added
# at the end (`docker run IMAGE --log-level debug`, or a pod's `args`).
#
#   APUS_APP               what to serve: module:attribute, or a functions directory (main:app)
#   PORT                   the port, on every address (8000; Knative sets it to the containerPort)
#   APUS_WORKERS           processes sharing the port, each with its own interpreter (1)
#   APUS_GRACEFUL_TIMEOUT  seconds in-flight requests get after SIGTERM (25)
set -eu

# The image is made to run as an unprivileged user (its USER, a pod's runAsUser): root here
# means a runtime overrode that, and the app would then run with every right on its files.
if [ "$(id -u)" = 0 ]; then
    echo "apus-entrypoint: refusing to run as root; run as an unprivileged user (the image's USER is 10001)" >&2
    exit 1
fi

# exec: apus takes this shell's place (PID 1 in a container), so SIGTERM reaches apus itself,
# which drains and exits 0; nothing is left in between to swallow or delay the signal.
exec apus run "${APUS_APP:-main:app}" --host 0.0.0.0 --port "${PORT:-8000}" \
    --workers "${APUS_WORKERS:-1}" --graceful-timeout "${APUS_GRACEFUL_TIMEOUT:-25}" "$@"
