#!/usr/bin/env bash
# Runs every test: unit tests, LLM-client tests against a fake OpenAI-compatible HTTP server, Functions parity
# tests, and end-to-end tests that drive the real local host over HTTP against a real Azurite (started by the
# tests themselves on free ports, in memory).
source "$(dirname "$0")/common.sh"
ensure_azurite
build_solution
echo "==> dotnet test"
dotnet test SynthPref.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
