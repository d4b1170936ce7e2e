#!/usr/bin/env bash
# bench/run.sh (`make bench`): HTTP and import benchmarks of Givance on PostgreSQL.
#
# 1. Generates the data set into a dedicated database once (re-used while it holds it).
# 2. Starts `givance serve` (release build) on it and loads it with wrk at 64 connections:
#    (A) first donors page, (B) prefix search q=smi, (C) one donor with its giving summary,
#    (D) donation create, (E) a donor's timeline page (and F, the same at 4 connections), all as
#    the largest organization's admin; single requests timed one at a time: LYBUNT, SYBUNT,
#    retention, a dynamic donor list's count and first page; then A's query on a bare
#    actix-web + tokio-postgres server (bench/reference), the issue's reference point, measured
#    on the same machine in the same run.
# 3. Times `givance import donors` of a generated CSV with /usr/bin/time -v (peak RSS), when the
#    import command exists.
# Figures go to stdout and to bench/results/<time>-<scale>.txt. Nothing is asserted.
#
# Settings (environment):
#   BENCH_SCALE        full (100 orgs, 1,000,000 donors, one org with 200,000, 5,000,000 donations)
#                      or small (2 orgs, 20,000 donors, 15,000 in one, 50,000 donations) [full]
#   BENCH_ORGS, BENCH_DONORS, BENCH_LARGEST_ORG_DONORS, BENCH_DONATIONS, BENCH_SEED  override the scale
#   BENCH_DURATION     per scenario, wrk syntax [30s; small: 10s]
#   BENCH_CONNECTIONS  [64]      BENCH_THREADS  wrk threads [2]
#   BENCH_CSV_ROWS     rows of the import CSV [1,000,000; small: 20,000]
#   BENCH_DATABASE     [givance_bench; small: givance_bench_small]
#   BENCH_PORT         port of the server [a free one]
#   PG_HOST, PG_PORT, PG_USER  the PostgreSQL server [127.0.0.1, 5432, postgres]
#   BENCH_PG_SOCKET    directory of the server's Unix socket, which givance uses when PG_HOST is
#                      local and the socket exists [/var/run/postgresql]; empty: always TCP
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SCALE=${BENCH_SCALE:-full}
case "$SCALE" in
  full) orgs=100 donors=1000000 largest=200000 donations=5000000 duration=30s csv_rows=1000000 database=givance_bench ;;
  small) orgs=2 donors=20000 largest=15000 donations=50000 duration=10s csv_rows=20000 database=givance_bench_small ;;
  *) echo "bench: BENCH_SCALE must be 'full' or 'small', not '$SCALE'" >&2; exit 2 ;;
esac
ORGS=${BENCH_ORGS:-$orgs}
DONORS=${BENCH_DONORS:-$donors}
LARGEST=${BENCH_LARGEST_ORG_DONORS:-$largest}
DONATIONS=${BENCH_DONATIONS:-$donations}
SEED=${BENCH_SEED:-1}
DURATION=${BENCH_DURATION:-$duration}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
CSV_ROWS=${BENCH_CSV_ROWS:-$csv_rows}
DATABASE=${BENCH_DATABASE:-$database}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
ADMIN_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/postgres"
DB_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$DATABASE"
# What givance connects with: the Unix socket when the server is local (as a single-host
# deployment would; loopback TCP costs the server a kernel round trip per query), else TCP.
SOCKET_DIR=${BENCH_PG_SOCKET-/var/run/postgresql}
GIVANCE_DB_URL=$DB_URL
TRANSPORT="TCP $PG_HOST:$PG_PORT"
if [ -n "$SOCKET_DIR" ] && [ -S "$SOCKET_DIR/.s.PGSQL.$PG_PORT" ] && { [ "$PG_HOST" = 127.0.0.1 ] || [ "$PG_HOST" = localhost ]; }; then
  GIVANCE_DB_URL="postgres://$PG_USER@localhost:$PG_PORT/$DATABASE?host=$SOCKET_DIR"
  TRANSPORT="Unix socket $SOCKET_DIR"
fi

RESULTS="$ROOT/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/givance-bench.XXXXXX")
mkdir -p "$RESULTS"
REPORT="$RESULTS/$STAMP-$SCALE.txt"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# Everything printed from here on is also kept in the results file.
exec > >(tee "$REPORT")

say() { printf 'bench: %s\n' "$*" >&2; }
sql() { psql "$DB_URL" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
sudo_if_needed() { if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo "$@"; else "$@"; fi; }

command -v psql >/dev/null || { say "psql is needed (Debian package postgresql-client)"; exit 1; }
pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || { say "PostgreSQL does not answer on $PG_HOST:$PG_PORT; run 'make db-up'"; exit 1; }

# The load generator: wrk (installed from Debian's packages when missing), else oha if present.
LOADGEN=wrk
if ! command -v wrk >/dev/null; then
  if command -v oha >/dev/null; then
    LOADGEN=oha
  else
    say "installing wrk from Debian's packages"
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
      || { sudo_if_needed apt-get update -qq && sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
  fi
fi

say "building givance and the reference server (release)"
cargo build --release --quiet -p givance-cli
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/givance"
REF_BIN=
if CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}" cargo build --release --quiet --manifest-path bench/reference/Cargo.toml; then
  REF_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/givance-bench-reference"
else
  say "the reference server (bench/reference) did not build: its scenario is skipped"
fi

echo "# Givance benchmarks, $STAMP, scale '$SCALE'"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); $(psql "$ADMIN_URL" -XAtq -c 'SHOW server_version' | sed 's/^/PostgreSQL /')"
echo "data set: $ORGS organizations, $DONORS donors ($LARGEST in the largest), $DONATIONS donations, seed $SEED; database $DATABASE"
echo "givance reaches PostgreSQL over: $TRANSPORT"

# --- The data set: generated once, re-used while the database holds it. ---
count() { sql "SELECT count(*) FROM $1" 2>/dev/null || echo 0; }
if [ -z "$(psql "$ADMIN_URL" -XAtq -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
  psql "$ADMIN_URL" -XAtq -c "CREATE DATABASE \"$DATABASE\"" >/dev/null
fi
have_orgs=$(count organizations)
have_donors=$(count donors)
have_donations=$(count donations)
# Scenario D adds donations on every run, so more than planned still counts as the same data set.
if [ "$have_orgs" = "$ORGS" ] && [ "$have_donors" = "$DONORS" ] && [ "$have_donations" -ge "$DONATIONS" ]; then
  echo "data set: re-using the one in $DATABASE ($have_donations donations now)"
else
  if [ "$have_orgs" != 0 ]; then
    say "$DATABASE holds another data set ($have_orgs organizations, $have_donors donors); recreating it"
    psql "$ADMIN_URL" -XAtq -c "DROP DATABASE \"$DATABASE\" WITH (FORCE)" -c "CREATE DATABASE \"$DATABASE\"" >/dev/null
  fi
  say "generating the data set (progress on stderr when it is a terminal)"
  GIVANCE_LOG=warn "$BIN" demo generate --orgs "$ORGS" --donors "$DONORS" --donations "$DONATIONS" \
    --largest-org-donors "$LARGEST" --seed "$SEED" --json --database-url "$GIVANCE_DB_URL" >"$WORK/generate.json"
  json_number() { sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.]*\).*/\1/p" "$WORK/generate.json"; }
  printf 'generation: donors %s rows/s (%.1f s), donations %s rows/s (%.1f s), total %.1f s\n' \
    "$(json_number rows_per_second donors)" "$(json_number seconds donors)" \
    "$(json_number rows_per_second donations)" "$(json_number seconds donations)" "$(json_number seconds total)"
  sql "VACUUM ANALYZE" >/dev/null
fi

# The largest organization, its admin, and a fresh API key for this run.
SLUG=$(sql "SELECT o.slug FROM organizations o JOIN donors d ON d.organization_id = o.id GROUP BY o.slug ORDER BY count(*) DESC LIMIT 1")
ADMIN=$(sql "SELECT u.email FROM staff s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = s.organization_id WHERE o.slug = '$SLUG' AND s.role = 'admin' LIMIT 1")
KEY=$(GIVANCE_LOG=warn "$BIN" apikey create --org "$SLUG" --staff "$ADMIN" --name "bench-$STAMP" --json --database-url "$GIVANCE_DB_URL" \
  | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$KEY" ] || { say "could not create an API key for $ADMIN in $SLUG"; exit 1; }
sql "SELECT id FROM donors WHERE organization_id = (SELECT id FROM organizations WHERE slug = '$SLUG') AND deleted_at IS NULL ORDER BY random() LIMIT 10000" >"$WORK/ids.txt"
echo "largest organization: $SLUG ($(sql "SELECT count(*) FROM donors d JOIN organizations o ON o.id = d.organization_id WHERE o.slug = '$SLUG'") donors)"

# --- The server. ---
PORT=${BENCH_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)}
BASE="http://127.0.0.1:$PORT"
# One pooled connection per client connection: no request waits for the pool.
GIVANCE_DATABASE_URL="$GIVANCE_DB_URL" GIVANCE_BIND="127.0.0.1:$PORT" GIVANCE_DB_MAX_CONNECTIONS="$CONNECTIONS" \
  GIVANCE_LOG=warn "$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 240); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { say "givance serve exited:"; cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null || { say "givance serve was not ready within 120 s"; exit 1; }
first_id=$(head -n 1 "$WORK/ids.txt")
for path in "/api/v1/donors?limit=50" "/api/v1/donors?q=smi" "/api/v1/donors/$first_id"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$BASE$path")
  [ "$status" = 200 ] || say "warning: GET $path answers $status before the load starts"
done

# --- The load. ---
echo
echo "load: $LOADGEN, $CONNECTIONS connections, $THREADS threads, $DURATION per scenario, server on the same machine"
printf '%-44s %12s %10s %10s %9s\n' "scenario" "requests/s" "p50 ms" "p99 ms" "non-2xx"
export BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_IDS="$WORK/ids.txt"
scenario() { # label, script, path
  local label=$1 script=$2 path=$3 raw="$RESULTS/$STAMP-$SCALE-${1%% *}.txt" line
  if [ "$LOADGEN" = wrk ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH_WRK_DIR/$script" \
      -H "Authorization: Bearer $KEY" "$BASE$path" >"$raw" 2>&1 || true
    line=$(grep '^BENCH ' "$raw" || true)
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    local errors; errors=$(field socket_errors)
    printf '%-44s %12s %10s %10s %9s%s\n' "$label" "$(field rps)" "$(field p50_ms)" "$(field p99_ms)" \
      "$(field non2xx)" "$( [ "${errors:-0}" = 0 ] || echo "  ($errors socket errors)")"
    [ -n "$line" ] || say "wrk printed no figures for $label; see $raw"
  else
    local body=() method=GET
    if [ "$script" = donation_create.lua ]; then
      method=POST
      body=(-T application/json -d "{\"donor_id\":\"$first_id\",\"amount\":\"25.00\",\"currency\":\"USD\",\"date\":\"$(date -u +%F)\"}")
    fi
    oha --no-tui --output-format json -z "$DURATION" -c "$CONNECTIONS" -m "$method" "${body[@]}" \
      -H "Authorization: Bearer $KEY" "$BASE$path" >"$raw" 2>&1 || true
    printf '%-44s %12s %10s %10s %9s\n' "$label" \
      "$(jq -r '.summary.requestsPerSec | floor' "$raw")" "$(jq -r '.latencyPercentiles.p50 * 1000 | . * 100 | floor / 100' "$raw")" \
      "$(jq -r '.latencyPercentiles.p99 * 1000 | . * 100 | floor / 100' "$raw")" \
      "$(jq -r '[.statusCodeDistribution | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0' "$raw")"
  fi
}
scenario "A first donors page (limit=50)" get.lua "/api/v1/donors?limit=50"
scenario "B prefix search q=smi" get.lua "/api/v1/donors?q=smi"
scenario "C donor with giving summary (rotating ids)" donor_by_id.lua "/api/v1/donors/$first_id"
scenario "D donation create (rotating donors)" donation_create.lua "/api/v1/donations"
[ "$LOADGEN" = wrk ] || echo "(oha: C asks for one donor and D gives to one donor; wrk rotates over 10,000)"

# --- Issue 4: a timeline page under load, and the single-request latency of the heavy reads. ---
if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$BASE/api/v1/donors/$first_id/timeline")" = 200 ]; then
  BENCH_DONOR_SUFFIX=/timeline scenario "E donor timeline page (rotating ids)" donor_by_id.lua "/api/v1/donors/$first_id/timeline"
  LATENCY_CONNECTIONS=${BENCH_LATENCY_CONNECTIONS:-4}
  CONNECTIONS_SAVED=$CONNECTIONS CONNECTIONS=$LATENCY_CONNECTIONS
  BENCH_DONOR_SUFFIX=/timeline scenario "F the same at $LATENCY_CONNECTIONS connections" donor_by_id.lua "/api/v1/donors/$first_id/timeline"
  CONNECTIONS=$CONNECTIONS_SAVED
else
  echo "E: skipped (no timeline endpoint in this build)"
fi
# One request at a time, BENCH_TIMED_RUNS times: min / median / max milliseconds.
timed() { # label, curl arguments...
  local label=$1; shift
  local times=() status
  for _ in $(seq 1 "${BENCH_TIMED_RUNS:-7}"); do
    read -r status seconds < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $KEY" "$@")
    [ "${status:0:1}" = 2 ] || { printf '%-44s answered %s: skipped\n' "$label" "$status"; return; }
    times+=("$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }')")
  done
  printf '%-44s %s\n' "$label" "$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "min %s ms, median %s ms, max %s ms (%d runs)", v[1], v[int((NR + 1) / 2)], v[NR], NR }')"
}
echo
echo "single requests, one at a time (issue 4 targets in brackets):"
timed "LYBUNT, this fiscal year, first page [1 s]" "$BASE/api/v1/reports/lybunt"
timed "SYBUNT, this fiscal year, first page" "$BASE/api/v1/reports/sybunt"
timed "retention, last 12 months" "$BASE/api/v1/reports/retention"
LIST_BODY='{"name":"bench major donors","type":"dynamic","filters":{"lifetime_giving":{"min":"500.00","currency":"USD"},"has_email":true}}'
list_id=$(curl -s -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$LIST_BODY" "$BASE/api/v1/donor-lists" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin).get("id", ""))' 2>/dev/null || true)
if [ -n "$list_id" ]; then
  timed "dynamic list: count (refresh) [500 ms with the page]" -X POST "$BASE/api/v1/donor-lists/$list_id/refresh"
  timed "dynamic list: first members page" "$BASE/api/v1/donor-lists/$list_id/members?limit=50"
  curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $KEY" "$BASE/api/v1/donor-lists/$list_id"
else
  echo "dynamic list: skipped (could not create one: no donor lists in this build, or the filter was refused)"
fi

kill -TERM "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# --- The reference: scenario A on a bare actix-web + tokio-postgres handler (bench/reference),
# on the same data and transport, after givance has released its connections. ---
if [ -n "$REF_BIN" ]; then
  ref_host=$PG_HOST
  [ "$GIVANCE_DB_URL" = "$DB_URL" ] || ref_host=$SOCKET_DIR
  REF_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18090)
  BENCH_REF_PG_HOST=$ref_host BENCH_REF_PG_PORT=$PG_PORT BENCH_REF_PG_USER=$PG_USER BENCH_REF_PG_DATABASE=$DATABASE \
    BENCH_REF_ORG=$(sql "SELECT id FROM organizations WHERE slug = '$SLUG'") BENCH_REF_BIND="127.0.0.1:$REF_PORT" \
    "$REF_BIN" >"$WORK/reference.log" 2>&1 &
  SERVER_PID=$!
  BASE="http://127.0.0.1:$REF_PORT"
  for _ in $(seq 1 40); do curl -fsS "$BASE/page" >/dev/null 2>&1 && break; sleep 0.25; done
  if curl -fsS "$BASE/page" >/dev/null 2>&1; then
    scenario "A0 the same page, bare reference server" get.lua "/page"
  else
    say "the reference server did not answer: $(tail -n 2 "$WORK/reference.log" | tr '\n' ' ')"
  fi
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
fi

# --- The import. ---
echo
if ! "$BIN" import --help >/dev/null 2>&1; then
  echo "import: skipped: 'givance import --help' fails, so this build has no import command yet"
else
  "$BIN" demo csv --rows "$CSV_ROWS" --seed "$SEED" >"$WORK/donors.csv"
  # A scratch database of its own: an organization added to the HTTP data set would make the
  # next run see another data set and regenerate it.
  IMPORT_DB="${DATABASE}_import"
  IMPORT_URL="${GIVANCE_DB_URL/\/$DATABASE/\/$IMPORT_DB}"
  psql "$ADMIN_URL" -XAtq -c "DROP DATABASE IF EXISTS \"$IMPORT_DB\" WITH (FORCE)" -c "CREATE DATABASE \"$IMPORT_DB\"" >/dev/null
  import_slug="import-bench"
  GIVANCE_LOG=warn "$BIN" org create --name "Import bench $STAMP" --slug "$import_slug" \
    --admin-email "import-bench@example.org" --database-url "$IMPORT_URL" >/dev/null
  started=$(date +%s.%N)
  timing=(); [ -x /usr/bin/time ] && timing=(/usr/bin/time -v -o "$WORK/import.time")
  status=0
  GIVANCE_DATABASE_URL="$IMPORT_URL" GIVANCE_LOG=warn "${timing[@]}" "$BIN" import donors "$WORK/donors.csv" \
    --org "$import_slug" >"$WORK/import.out" 2>"$WORK/import.err" || status=$?
  # Exit code 3 would mean some rows were rejected: the run itself completed.
  if [ "$status" = 0 ] || [ "$status" = 3 ]; then
    seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    rss=$( [ -f "$WORK/import.time" ] && awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$WORK/import.time" || echo "unknown (no /usr/bin/time)")
    echo "import: $CSV_ROWS donor rows in $seconds s = $(awk -v n="$CSV_ROWS" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }') rows/s; peak RSS $rss"
    echo "import: its summary: $(tail -n 1 "$WORK/import.out")"
  else
    echo "import: failed (exit $status): $(tail -n 3 "$WORK/import.err" | tr '\n' ' ')"
  fi
  psql "$ADMIN_URL" -XAtq -c "DROP DATABASE IF EXISTS \"$IMPORT_DB\" WITH (FORCE)" >/dev/null
fi
echo
echo "results: $REPORT"
