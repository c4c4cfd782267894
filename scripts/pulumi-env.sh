# Sourced by the demo and the test harness: run the real engine offline against a local file backend.
# Expects ROOT (the repo) and ENGINE_DIR (from scripts/engine/engine.sh) to be set.
STATE_DIR=${STATE_DIR:-$ROOT/.state}
mkdir -p "$STATE_DIR/backend" "$STATE_DIR/pulumi-home"
export PATH="$ENGINE_DIR:$ROOT/.venv/bin:$PATH"
export EHPC_HARNESS_PYTHON="$ROOT/.venv/bin/python"
export PULUMI_HOME="$STATE_DIR/pulumi-home"
export PULUMI_BACKEND_URL="file://$STATE_DIR/backend"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PIP_DISABLE_PIP_VERSION_CHECK=1
