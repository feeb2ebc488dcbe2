#!/usr/bin/env bash
# The main job on the embedded default: Azurite, the local host and a 100-item PandaLM run judged by the
# Replay provider over GPT-3.5's recorded verdicts, reviewed with the recorded human labels.
source "$(dirname "$0")/common.sh"

PORT="${DEMO_PORT:-7071}"
COUNT="${DEMO_COUNT:-100}"
SEED="${DEMO_SEED:-42}"
DATA="${DEMO_DATA:-../shared/data/pandalm}"
WORK="$ROOT/.demo"
ADAPTIVE="${DEMO_ADAPTIVE:-1}"
[ -f "$DATA/testset-v1.json" ] || { echo "PandaLM data not found at $DATA" >&2; exit 1; }

ensure_azurite
build_solution
mkdir -p "$WORK"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
  echo "==> using the Azurite already listening on 10000-10002"
else
  echo "==> starting Azurite (data in .demo/azurite, log in .demo/azurite.log)"
  node_modules/.bin/azurite --skipApiVersionCheck --loose --location "$WORK/azurite" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > "$WORK/azurite.log" 2>&1 &
  pids+=($!)
  for port in 10000 10001 10002; do wait_port $port 60; done
fi

echo "==> preparing $COUNT PandaLM items (seed $SEED)"
dotnet tools/SynthPref.Demo/bin/Release/net10.0/SynthPref.Demo.dll prepare --data "$DATA" --out "$WORK" --count "$COUNT" --seed "$SEED"
if [ "$ADAPTIVE" != 0 ]; then
  echo "==> preparing the full PandaLM set for the adaptive run"
  dotnet tools/SynthPref.Demo/bin/Release/net10.0/SynthPref.Demo.dll prepare --data "$DATA" --out "$WORK/full" --count 1000000 --seed "$SEED"
fi

# The multi-turn run's recorded verdicts go beside PandaLM's; their texts are their own, so no PandaLM lookup changes.
CONVERSATIONS="$ROOT/tools/SynthPref.Demo/data/conversations.jsonl"
cat "$ROOT/tools/SynthPref.Demo/data/conversations.replay.jsonl" >> "$WORK/replay.jsonl"

echo "==> starting SynthPref.Local on http://127.0.0.1:$PORT (Replay judge; log in .demo/host.log)"
AzureWebJobsStorage="UseDevelopmentStorage=true" Llm__Provider=Replay Llm__ReplayFile="$WORK/replay.jsonl" Llm__Model=gpt-3.5-turbo \
  dotnet run --project SynthPref.Local -c Release --no-build -- --urls "http://127.0.0.1:$PORT" > "$WORK/host.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PORT/api/health" 120 || { tail -50 "$WORK/host.log"; exit 1; }

demo_started=$SECONDS
echo "==> the seed's exercise: $COUNT items, ${DEMO_SAMPLE:-20} reviewed"
dotnet tools/SynthPref.Demo/bin/Release/net10.0/SynthPref.Demo.dll run --host "http://127.0.0.1:$PORT" \
  --data "$DATA" --input "$WORK/input.jsonl" --out "$WORK/output" --sample "${DEMO_SAMPLE:-20}" --seed "$SEED"

echo
echo "==> a small multi-turn run: 5 conversations judged on their final turns (2 graded against the input's reference;"
echo "    the coding item's reference has no recording, so it is judged without one and counted as unavailable)"
SYNTHPREF_URL="http://127.0.0.1:$PORT" dotnet tools/SynthPref.Cli/bin/Release/net10.0/synthpref.dll run "$CONVERSATIONS" \
  --name conversations-demo --option critiqueRevise=false --option reviewSampleSize=0 --wait
SYNTHPREF_URL="http://127.0.0.1:$PORT" dotnet tools/SynthPref.Cli/bin/Release/net10.0/synthpref.dll report conversations-demo -o "$WORK/output-conversations"
SYNTHPREF_URL="http://127.0.0.1:$PORT" dotnet tools/SynthPref.Cli/bin/Release/net10.0/synthpref.dll dataset conversations-demo -o "$WORK/output-conversations/dataset.jsonl"

if [ "$ADAPTIVE" != 0 ]; then
  # Twenty reviewed pairs cannot rank 50 categories. Adaptive review keeps drawing pairs from every category whose
  # 95% interval is still wider than the target, until each meets it, runs out of pairs, or the cap is reached.
  echo
  # The first sample also calibrates the judge's trust points against the annotators: the pairs at the levels whose
  # agreement is shown to reach the trust target are trusted, the rest escalated (escalated.jsonl).
  echo "==> adaptive review over the full PandaLM set: first sample ${DEMO_ADAPTIVE_SAMPLE:-100}, target interval width" \
       "${DEMO_TARGET_CI_WIDTH:-0.25}, at most ${DEMO_MAX_REVIEW_SAMPLE:-600} items, trust target ${DEMO_TRUST_TARGET:-0.8}"
  dotnet tools/SynthPref.Demo/bin/Release/net10.0/SynthPref.Demo.dll run --host "http://127.0.0.1:$PORT" \
    --data "$DATA" --input "$WORK/full/input.jsonl" --out "$WORK/output-adaptive" --seed "$SEED" --name "PandaLM adaptive demo" \
    --sample "${DEMO_ADAPTIVE_SAMPLE:-100}" --target-ci-width "${DEMO_TARGET_CI_WIDTH:-0.25}" \
    --max-review-sample-size "${DEMO_MAX_REVIEW_SAMPLE:-600}" --trust-target "${DEMO_TRUST_TARGET:-0.8}" \
    ${DEMO_ESCALATE:+--escalate "$DEMO_ESCALATE"}
fi
echo "==> demo done in $((SECONDS - demo_started)) s"
