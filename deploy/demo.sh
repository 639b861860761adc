#!/usr/bin/env bash
# The demo behind `make demo`: its own Kafka broker (separate ports and data dir, wiped afterwards),
# the worker as a real process, a replay of seeds/, the enriched events printed, everything stopped.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
DEMO_DIR="$REPO/var/demo"

export KAFKA_PORT="${DEMO_KAFKA_PORT:-39092}"
export KAFKA_CONTROLLER_PORT="${DEMO_KAFKA_CONTROLLER_PORT:-39093}"
export KAFKA_DATA_DIR="$DEMO_DIR/kafka"
export STANCEWIRE_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export STANCEWIRE_APP_ID="stancewire-demo"
export STANCEWIRE_DATA_DIR="$DEMO_DIR/worker"
export STANCEWIRE_WEB_PORT="${DEMO_WEB_PORT:-16066}"
export STANCEWIRE_BATCH_WITHIN_S="0.2"
export STANCEWIRE_API_TOKEN="${STANCEWIRE_API_TOKEN:-demo-token}"
export COLUMNS="${COLUMNS:-160}"  # rich tables: wide enough for a quote per line

worker_pid=""
cleanup() {
  status=$?
  if [[ -n "$worker_pid" ]] && kill -0 "$worker_pid" 2>/dev/null; then
    echo "demo: stopping the worker"
    kill -TERM "$worker_pid" 2>/dev/null || true
    wait "$worker_pid" 2>/dev/null || true
  fi
  bash deploy/kafka/kafka.sh reset >/dev/null 2>&1 || bash deploy/kafka/kafka.sh stop || true
  echo "demo: stopped everything it started (exit $status)"
}
trap cleanup EXIT

bash deploy/kafka/kafka.sh reset >/dev/null 2>&1 || true
mkdir -p "$DEMO_DIR"
bash deploy/kafka/kafka.sh start

echo "demo: starting the worker (log: $DEMO_DIR/worker.log)"
stancewire worker --loglevel warn >"$DEMO_DIR/worker.log" 2>&1 &
worker_pid=$!

health() { python -c 'import sys, httpx; print(httpx.get(sys.argv[1], timeout=2).json()[sys.argv[2]])' \
  "http://127.0.0.1:$STANCEWIRE_WEB_PORT/healthz" "$1" 2>/dev/null; }
for _ in $(seq 1 240); do
  [[ "$(health status)" == "ok" ]] && break
  kill -0 "$worker_pid" 2>/dev/null || { tail -n 40 "$DEMO_DIR/worker.log"; exit 1; }
  sleep 0.5
done

# Three subscribers: a desk that follows Putin, one that wants to know who opposes Zelenskiy, and one
# that tracks support for the coalition of the willing. The API answers 503 until the worker has
# restored its tables, so retry briefly.
subscribe() {
  for _ in $(seq 1 60); do
    stancewire subscribe "$@" >/dev/null 2>&1 && { echo "demo: subscribed $1"; return 0; }
    sleep 1
  done
  stancewire subscribe "$@"
}
subscribe putin-desk --name "Putin desk" --entity "Vladimir Putin"
subscribe zelenskiy-opponents --name "Who opposes Zelenskiy" \
  --rule '{"kind": "stance", "target": "Volodymyr Zelenskyy", "polarity": "oppose"}'
subscribe coalition-support --name "Support for a coalition of the willing" \
  --rule '{"kind": "stance", "target": "topic:coalition-of-the-willing", "polarity": "support"}'

seed_count=$(find seeds -type f | wc -l)
stancewire replay seeds/

echo "demo: waiting for $seed_count enriched article(s)"
for _ in $(seq 1 240); do
  done_count=$(health enriched || echo 0)
  [[ "${done_count%.*}" -ge "$seed_count" ]] && break
  sleep 0.5
done

stancewire tail enriched --from-beginning --max "$seed_count" --timeout 30 --summary
echo "demo: alerts"
stancewire alerts tail --from-beginning --max 3 --timeout 30
echo "demo: worker counters: in=$(health articles_in) enriched=$(health enriched)" \
  "deadlettered=$(health deadlettered) duplicates=$(health duplicates)"

# In a terminal, the demo ends on the desk: its address (the token travels in the fragment, which the
# browser never sends to the server; the page keeps it and drops it from the address bar) and
# everything kept up until Ctrl-C. From a script or CI (stdin not a terminal) it stops by itself.
if [[ -t 0 ]]; then
  token_fragment=$(python -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' \
    "$STANCEWIRE_API_TOKEN")
  echo
  echo "demo: the desk is at http://127.0.0.1:$STANCEWIRE_WEB_PORT/#token=$token_fragment"
  echo "demo: the broker and the worker stay up; Ctrl-C stops everything"
  trap 'echo; exit 0' INT  # the EXIT trap (cleanup) then stops the worker and the broker
  wait "$worker_pid" || true
  echo "demo: the worker exited (log: $DEMO_DIR/worker.log)"
fi
