#!/usr/bin/env bash
# Runs every test: unit tests, LLM-client tests against a fake OpenAI-compatible HTTP server, Functions parity
# tests, and end-to-end tests that drive the real local host, and SynthPref.Functions under the real Azure Functions
# host from ../shared/tools/functions-host (installed and published by the tests themselves), over HTTP against a
# real Azurite (started by the tests on free ports, in memory). The Bicep templates are compiled and linted first.
# `bash scripts/test.sh --filter Host=Functions` runs the Functions-host tests alone.
source "$(dirname "$0")/common.sh"
ensure_azurite
ensure_chromium
build_solution
# One style for the whole solution (.editorconfig): a change that dotnet format would rewrite fails the run.
echo "==> dotnet format --verify-no-changes"
dotnet format SynthPref.sln --verify-no-changes --no-restore
echo "==> bicep build + lint"
bash scripts/validate-bicep.sh
echo "==> dotnet test"
log=$(mktemp)
set +e
dotnet test SynthPref.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line that any CI reader understands, from dotnet test's own summary.
passed=$(awk '/^ +Passed: [0-9]+/ {s+=$2} END {print s+0}' "$log")
failed=$(awk '/^ +Failed: [0-9]+/ {s+=$2} END {print s+0}' "$log")
skipped=$(awk '/^ +Skipped: [0-9]+/ {s+=$2} END {print s+0}' "$log")
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
