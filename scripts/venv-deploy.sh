#!/usr/bin/env bash
# What the deployment recipe's checks need (Tests/deploy), in a venv of their own made from the
# interpreter Apus embeds, as the image makes the app's: kubernetes-validate carries the
# Kubernetes API schemas, so the checks run offline once the venv exists, and the example app's
# packages let the built binary serve it as the image would. Idempotent.
exec "$(dirname "$0")/venv-with.sh" .build/venv-deploy kubernetes-validate==1.37.0 jsonschema==4.26.0 \
  pyyaml==6.0.4 pytest==9.0.3 -r deploy/example/requirements.txt
