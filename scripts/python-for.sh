#!/usr/bin/env bash
# Print an interpreter for Python $1 (e.g. 3.12): python3.12 on PATH, else the newest pyenv build.
set -euo pipefail
v=$1
if command -v "python$v" >/dev/null 2>&1 && "python$v" -c 'import venv' 2>/dev/null; then
    command -v "python$v"; exit 0
fi
root=${PYENV_ROOT:-$HOME/.pyenv}
for py in $(ls -d "$root"/versions/"$v".*/bin/python 2>/dev/null | sort -V -r); do
    "$py" -c 'import venv' 2>/dev/null && { echo "$py"; exit 0; }
done
echo "no Python $v found (python$v on PATH or $root/versions/$v.*)" >&2
exit 1
