#!/usr/bin/env bash
# Find or build the real Pulumi engine (CLI + Python language host) and print, as the LAST line,
# the directory that holds `pulumi`, `pulumi-language-python` and its two helper scripts.
#
# Order: an existing cached build → `pulumi` already on PATH (with the language host beside it)
# → build from the Go module proxy (recipe: shared/docs/pulumi-engine.md). The cache lives outside
# the repo (default ~/.cache/pulumi-ehpc-tasks/engine/vX), so a rebuild is skipped.
#
# The Python language host is its own untagged Go module, fetched by the release commit's
# pseudo-version. When the proxy cannot serve it (it refuses it on our machines), the harness
# installs langhost_shim.py in its place and says so; see that file for why that is faithful.
set -euo pipefail

V=${PULUMI_ENGINE_VERSION:-3.274.1}
CACHE=${EHPC_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ehpc-tasks/engine}
OUT=$CACHE/v$V
log() { printf '%s\n' "$*" >&2; }

HERE=$(cd "$(dirname "$0")" && pwd)

have_engine() {
    [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-python" ] &&
        [ -x "$1/pulumi-language-python-exec" ] && [ -x "$1/pulumi-resource-pulumi-python" ]
}

install_shim() {  # $1 = engine dir; refreshed on every run so the cache follows the repo's copy
    install -m 0644 "$HERE/langhost_shim.py" "$1/langhost_shim.py"
    cat > "$1/pulumi-language-python" <<'SH'
#!/bin/sh
# Harness stand-in for the Go language host (see langhost_shim.py).
exec "${EHPC_HARNESS_PYTHON:-python3}" "$(dirname "$0")/langhost_shim.py" "$@"
SH
    chmod 0755 "$1/pulumi-language-python"
}

if [ -f "$OUT/langhost_shim.py" ]; then install_shim "$OUT"; fi
if have_engine "$OUT"; then
    log "engine: cached build v$V in $OUT"
    echo "$OUT"; exit 0
fi
if [ -z "${EHPC_ENGINE_FORCE_BUILD:-}" ] && command -v pulumi >/dev/null 2>&1; then
    dir=$(dirname "$(readlink -f "$(command -v pulumi)")")
    if have_engine "$dir"; then
        log "engine: using pulumi on PATH ($dir)"
        echo "$dir"; exit 0
    fi
fi
command -v go >/dev/null 2>&1 || { log "engine: no pulumi on PATH and no Go toolchain to build it"; exit 3; }

start=$(date +%s)
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
cd "$W"
go mod init local/pulumi-engine-build >/dev/null 2>&1
log "engine: building pulumi v$V from the Go module proxy (a few minutes, once)"
go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$V" > pkg.json
HASH=${PULUMI_RELEASE_COMMIT:-$(python3 -c 'import json;print(json.load(open("pkg.json")).get("Origin",{}).get("Hash",""))')}
PKGMOD=$(python3 -c 'import json;print(json.load(open("pkg.json"))["GoMod"])')
log "engine: release commit ${HASH:-unknown (the proxy gives no Origin)}; replaces in pkg/go.mod:"
grep -n '=>' "$PKGMOD" >&2 || true
go mod edit -json "$PKGMOD" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    o, n = r["Old"], r["New"]
    if n["Path"].startswith((".", "/")):
        continue
    print("-replace=%s%s=%s@%s" % (o["Path"], "@" + o["Version"] if o.get("Version") else "", n["Path"], n["Version"]))
' | xargs -r go mod edit
go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$V" >&2
go get "github.com/pulumi/pulumi/sdk/v3@v$V" >&2
LANGHOST=github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
if [ -n "$HASH" ] && go get -tool "$LANGHOST@$HASH" >&2; then REAL_LANGHOST=1; else REAL_LANGHOST=; fi
go mod tidy >&2
go list -m github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 >&2
LDF="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$V"
TMPOUT=$OUT.tmp.$$
mkdir -p "$TMPOUT"
go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDF" -o "$TMPOUT/pulumi" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
if [ -n "$REAL_LANGHOST" ]; then
    go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDF" -o "$TMPOUT/pulumi-language-python" "$LANGHOST"
else
    log "engine: the module proxy does not serve $LANGHOST; installing the harness language host (langhost_shim.py)"
    install_shim "$TMPOUT"
fi
SDK=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
# Both scripts ship in the sdk/v3 module zip of the same version (their folder moved between releases).
for f in pulumi-language-python-exec pulumi-resource-pulumi-python; do
    src=$(find "$SDK/python/cmd" "$SDK/python/dist" -maxdepth 1 -name "$f" -type f | head -n 1)
    [ -n "$src" ] || { log "engine: $f not found in $SDK"; exit 4; }
    install -m 0755 "$src" "$TMPOUT/$f"
done
"$TMPOUT/pulumi" version >&2
rm -rf "$OUT"; mv "$TMPOUT" "$OUT"
log "engine: built v$V in $(( $(date +%s) - start )) s"
echo "$OUT"
