#!/usr/bin/env bash
# Throughput and memory of the whole pipeline on the local host: every PandaLM item (999) judged in both
# orders by the Replay provider, so the figures measure SynthPref and the durable backend, not a model.
# Prints items/s from upload to report and the host's peak resident memory.
source "$(dirname "$0")/common.sh"

COUNT="${BENCH_COUNT:-999}"
PORT="${BENCH_PORT:-7081}"
DATA="${DEMO_DATA:-../shared/data/pandalm}"
WORK="$(mktemp -d)"

ensure_azurite
build_solution

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

blob=$(free_port); queue=$(free_port); table=$(free_port)
node_modules/.bin/azurite --inMemoryPersistence --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
  --tableHost 127.0.0.1 --tablePort "$table" > "$WORK/azurite.log" 2>&1 &
pids+=($!)
for port in "$blob" "$queue" "$table"; do wait_port "$port" 60; done
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"

dotnet tools/SynthPref.Demo/bin/Release/net10.0/SynthPref.Demo.dll prepare --data "$DATA" --out "$WORK" --count "$COUNT" --seed 1 > /dev/null

Llm__Provider=Replay Llm__ReplayFile="$WORK/replay.jsonl" Llm__Model=gpt-3.5-turbo DurableTask__MaxQueuePollingSeconds=0.5 \
  dotnet SynthPref.Local/bin/Release/net10.0/SynthPref.Local.dll --urls "http://127.0.0.1:$PORT" > "$WORK/host.log" 2>&1 &
host=$!
pids+=($host)
wait_http "http://127.0.0.1:$PORT/api/health" 120

start=$(date +%s.%N)
dotnet tools/SynthPref.Demo/bin/Release/net10.0/SynthPref.Demo.dll run --host "http://127.0.0.1:$PORT" \
  --data "$DATA" --input "$WORK/input.jsonl" --out "$WORK/output" --sample 0 --seed 1 | grep -E "^Judged|^Pairs"
end=$(date +%s.%N)
peak=$(awk '/VmHWM/ {print $2}' "/proc/$host/status")
awk -v n="$COUNT" -v s="$start" -v e="$end" -v kb="$peak" 'BEGIN {
  printf "bench: %d items, %d judge calls, %.1f s upload to report, %.1f items/s, host peak RSS %.0f MiB\n", n, 2*n, e-s, n/(e-s), kb/1024 }'
