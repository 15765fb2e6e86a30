#!/usr/bin/env bash
# A local repository kept applied: commit → fetched → applied → pruned, and drift put back.
# Usage: examples/gitops/run.sh [path/to/fogctl]   (default .build/debug/fogctl)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fogctl=${1:-$here/../../.build/debug/fogctl}
work=$(mktemp -d)
export FOG_STATE=$work/state.db
repo=$work/repo
trap 'kill $controllers 2>/dev/null || true; rm -rf "$work"' EXIT

step() { local shown=("$@"); [ "$1" = "$fogctl" ] && shown[0]=fogctl; printf '\n$ %s\n' "${shown[*]}"; "$@"; }
git init -q -b main "$repo"
cp -R "$here/repo/." "$repo/"
git -C "$repo" add -A
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -q -m "two harvest policies"

# The controllers, in the background, as `fogctl reconcile --watch` (a server runs them too).
"$fogctl" reconcile --watch 2>/dev/null &
controllers=$!

sed "s#REPO#$repo#" "$here/gitsource.yaml.in" > "$work/gitsource.yaml"
step "$fogctl" apply -f "$work/gitsource.yaml"
step "$fogctl" reconcile gitsource demo --wait
step "$fogctl" get harvestpolicies -l fog/gitsource=demo

# A commit flows in: desktops changed, phones removed (pruned), servers added.
cat > "$repo/policies/harvest.yaml" <<'YAML'
apiVersion: fog/v1alpha1
kind: HarvestPolicy
metadata:
  name: gitops-desktops
spec:
  nodeSelector:
    matchLabels: {fog/class: edge}
  maxCpuShare: 0.75
YAML
cat > "$repo/policies/servers.yaml" <<'YAML'
apiVersion: fog/v1alpha1
kind: HarvestPolicy
metadata:
  name: gitops-servers
spec:
  maxCpuShare: 0.9
YAML
git -C "$repo" add -A
git -C "$repo" -c user.name=demo -c user.email=demo@example.com commit -q -m "desktops 0.75, phones out, servers in"
printf '\n$ git commit -m "desktops 0.75, phones out, servers in"   # %s\n' "$(git -C "$repo" rev-parse --short=12 HEAD)"
step "$fogctl" reconcile gitsource demo --wait
step "$fogctl" get harvestpolicies -l fog/gitsource=demo -o custom-columns=NAME:.metadata.name,SHARE:.spec.maxCpuShare

# Drift: a change made outside git is put back from the watch.
step "$fogctl" patch harvestpolicy gitops-servers -p '{"spec":{"maxCpuShare":0.1}}'
step "$fogctl" wait harvestpolicy/gitops-servers --for=jsonpath=.spec.maxCpuShare=0.9 --timeout 10s
step "$fogctl" get gitsource demo -o wide
