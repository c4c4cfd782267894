#!/usr/bin/env bash
# Find or build the real Pulumi engine (CLI + Python language host) and print, as the LAST line,
# the directory that holds `pulumi`, `pulumi-language-python` and its two helper scripts.
#
# Order: an existing cached build → `pulumi` already on PATH (with the language host beside it)
# → build from the Go module proxy (recipe: shared/docs/pulumi-engine.md). The cache lives outside
# the repo (default ~/.cache/pulumi-ehpc-tasks/engine/vX), so a rebuild is skipped.
set -euo pipefail

V=${PULUMI_ENGINE_VERSION:-3.274.1}
CACHE=${EHPC_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-ehpc-tasks/engine}
OUT=$CACHE/v$V
log() { printf '%s\n' "$*" >&2; }

have_engine() {
    [ -x "$1/pulumi" ] && [ -x "$1/pulumi-language-python" ] &&
        [ -x "$1/pulumi-language-python-exec" ] && [ -x "$1/pulumi-resource-pulumi-python" ]
}

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
HASH=$(python3 -c 'import json;print(json.load(open("pkg.json"))["Origin"]["Hash"])')
PKGMOD=$(python3 -c 'import json;print(json.load(open("pkg.json"))["GoMod"])')
log "engine: release commit $HASH; replaces in pkg/go.mod:"
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
go get -tool "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@$HASH" >&2
go mod tidy >&2
go list -m github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3 >&2
LDF="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$V"
TMPOUT=$OUT.tmp.$$
mkdir -p "$TMPOUT"
go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDF" -o "$TMPOUT/pulumi" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDF" -o "$TMPOUT/pulumi-language-python" \
    github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3
SDK=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$SDK/python/cmd/pulumi-language-python-exec" \
    "$SDK/python/dist/pulumi-resource-pulumi-python" "$TMPOUT/"
"$TMPOUT/pulumi" version >&2
rm -rf "$OUT"; mv "$TMPOUT" "$OUT"
log "engine: built v$V in $(( $(date +%s) - start )) s"
echo "$OUT"
