#!/usr/bin/env bash
# Part 1 (always): SynthPref's whole pipeline against a plain loop of the same judge calls. A fake OpenAI judge with
# a fixed latency answers both; the pipeline runs on fresh in-memory Azurite processes and the real local host,
# one fresh set per size. Prints, per size, wall times against the physical limit, judge calls, host peak RSS,
# history rows and storage requests per item, then a summary table and the scaling ratio.
#   Knobs: BENCH_SIZES (1000,2000,10000), BENCH_LATENCY_MS (200), BENCH_CONCURRENCY (32), BENCH_SWAP (true),
#          BENCH_KEEP_LOGS (a folder for the host and Azurite logs).
# Part 2 (optional, ~3 min): labels stay out of the orchestration. One run reviewed with 10 labels, one with 10,000
# (2,000 items x 5 reviewers) over the review API; prints labels accepted, votes the report counted, and the history
# rows the review phase added. BENCH_LABELS=0 skips it.
# Part 3 (optional, ~1 min): 2,000 items (BENCH_BATCH_ITEMS) judged live and through the fake Batch API with zero
# processing time; prints wall time, live calls, batches, history rows, storage requests per item and the estimated
# cost of each (batch prices against live ones). BENCH_BATCH=0 skips it.
# Part 4 (optional, ~30 s): every PandaLM item (999) judged in both orders by the Replay provider, upload to
# report. Runs when ../shared/data/pandalm exists; BENCH_REPLAY=0 skips it.
# BENCH_LOOP=0 skips part 1, so BENCH_LOOP=0 BENCH_LABELS=0 BENCH_REPLAY=0 runs the batch part alone.
# Every part runs the host with its defaults: the bench sets only the judge, Llm:MaxConcurrency and the hub's name.
#
# `bash scripts/bench.sh sweep` runs the size sweep instead: one run per size (BENCH_SWEEP_SIZES, default
# "20000 100000 200000") on fresh Azurite and a fresh local host, the items uploaded as a JSONL blob, a fake judge
# answering in BENCH_SWEEP_LATENCY_MS (1) ms, a review sample of BENCH_SWEEP_SAMPLE (200) labelled over the API and
# trustTarget BENCH_SWEEP_TRUST (0.8; 0 for none). Prints each stage's time, the host's RSS (largest 100-ms sample and
# VmHWM) and storage requests per item (Azurite's access logs), then a summary.
source "$(dirname "$0")/common.sh"

ensure_azurite
build_solution

if [ "${1:-}" = "sweep" ]; then
  echo "==> size sweep (host defaults, fast fake judge)"
  args=(sweep --sizes "${BENCH_SWEEP_SIZES:-20000 100000 200000}" --latency-ms "${BENCH_SWEEP_LATENCY_MS:-1}"
        --concurrency "${BENCH_CONCURRENCY:-32}" --review-sample "${BENCH_SWEEP_SAMPLE:-200}" --trust-target "${BENCH_SWEEP_TRUST:-0.8}"
        --repo-root "$ROOT")
  [ -z "${BENCH_KEEP_LOGS:-}" ] || args+=(--keep-logs "$BENCH_KEEP_LOGS")
  exec dotnet tools/SynthPref.Bench/bin/Release/net10.0/SynthPref.Bench.dll "${args[@]}"
fi

if [ "${BENCH_LOOP:-1}" != "0" ]; then
  echo "==> pipeline vs plain loop"
  args=(pipeline-vs-loop --sizes "${BENCH_SIZES:-1000,2000,10000}" --latency-ms "${BENCH_LATENCY_MS:-200}"
        --concurrency "${BENCH_CONCURRENCY:-32}" --swap "${BENCH_SWAP:-true}" --repo-root "$ROOT")
  [ -z "${BENCH_KEEP_LOGS:-}" ] || args+=(--keep-logs "$BENCH_KEEP_LOGS")
  dotnet tools/SynthPref.Bench/bin/Release/net10.0/SynthPref.Bench.dll "${args[@]}"
fi

if [ "${BENCH_LABELS:-1}" != "0" ]; then
  echo "==> review labels and history"
  dotnet tools/SynthPref.Bench/bin/Release/net10.0/SynthPref.Bench.dll labels
fi

if [ "${BENCH_BATCH:-1}" != "0" ]; then
  echo "==> Batch API against live"
  dotnet tools/SynthPref.Bench/bin/Release/net10.0/SynthPref.Bench.dll batch --items "${BENCH_BATCH_ITEMS:-2000}" \
    --latency-ms "${BENCH_LATENCY_MS:-200}" --concurrency "${BENCH_CONCURRENCY:-32}"
fi

DATA="${DEMO_DATA:-../shared/data/pandalm}"
if [ "${BENCH_REPLAY:-1}" = "0" ]; then exit 0; fi
if [ ! -d "$DATA" ]; then echo "==> replay benchmark skipped: no PandaLM data at $DATA"; exit 0; fi

echo "==> replay judge, PandaLM"
COUNT="${BENCH_COUNT:-999}"
PORT="$(free_port)"
WORK="$(mktemp -d)"
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

Llm__Provider=Replay Llm__ReplayFile="$WORK/replay.jsonl" Llm__Model=gpt-3.5-turbo \
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
  printf "replay bench: %d items, %d judge calls, %.1f s upload to report, %.1f items/s, host peak RSS %.0f MiB\n", n, 2*n, e-s, n/(e-s), kb/1024 }'
