#!/usr/bin/env bash
# Issue #4's HTTPS benchmarks end to end: set up a site with `enamel init`, seed it through the
# app with `enamel-bench seed`, and measure it with run.py (wrk over HTTPS on loopback).
#
#   crates/bench/load/bench.sh sqlite|postgres|search-1m|all
#
# Build first: cargo build --release -p enamel -p enamel-bench (CARGO_TARGET_DIR is honoured).
# Work files go to $BENCH_WORK (default /tmp/enamel-http-bench); PostgreSQL at
# $BENCH_PG (default postgres://postgres@127.0.0.1:5432), where the database
# enamel_bench_http (and a per-run copy) is created and dropped again.
set -euo pipefail
cd "$(dirname "$0")/../../.."

TARGET=${CARGO_TARGET_DIR:-target}
WORK=${BENCH_WORK:-/tmp/enamel-http-bench}
# Private copies of the binaries: a shared target dir may be rebuilt by someone else mid-run.
# Set BENCH_BIN to a folder holding enamel and enamel-bench to use those instead.
BIN=${BENCH_BIN:-$WORK/bin}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PG_DB=enamel_bench_http
PATIENTS=${BENCH_PATIENTS:-100000}
BIG=${BENCH_BIG:-1000000}
FIGURES=healthz,read,search,search@1,update,create

mkdir -p "$WORK" "$BIN"
if [ -z "${BENCH_BIN:-}" ]; then
  for bin in enamel enamel-bench; do
    [ -x "$TARGET/release/$bin" ] || { echo "missing $TARGET/release/$bin: cargo build --release -p enamel -p enamel-bench" >&2; exit 1; }
    cp "$TARGET/release/$bin" "$BIN/$bin"
  done
fi
ENAMEL=$BIN/enamel
B=$BIN/enamel-bench
RUN=(python3 crates/bench/load/run.py --enamel "$ENAMEL")

# A consistent copy of a closed SQLite database (its WAL folded in first).
snapshot() {
  sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  cp "$1" "$2"
}

# Signs the seeded audit log once, and keeps the signer's memory of it to put back before each
# run (with the reset database): `$1` the site, `$2` the copy.
sign_seeded() {
  "$ENAMEL" --data-dir "$1" audit checkpoint >/dev/null
  cp "$1/audit-signing/checkpoint-signer-memory.json" "$2"
}

sqlite() {
  local site=$WORK/sqlite
  rm -rf "$site" "$WORK/results/sqlite-100k"
  "$ENAMEL" --data-dir "$site" init --practice-name Bench >/dev/null
  "$B" seed --database-url "sqlite://$site/enamel.db" --key-file "$site/keys/kek.json" \
    --patients "$PATIENTS" --accounts-out "$site/bench-accounts.json"
  sign_seeded "$site" "$WORK/sqlite-100k.signer.json"
  snapshot "$site/enamel.db" "$WORK/sqlite-100k.db"
  "${RUN[@]}" --site "$site" --accounts "$site/bench-accounts.json" \
    --sqlite-pristine "$WORK/sqlite-100k.db" --signer-pristine "$WORK/sqlite-100k.signer.json" --out "$WORK/results/sqlite-100k" --figures "$FIGURES" \
    --label "SQLite, $PATIENTS patients"
}

postgres() {
  local site=$WORK/postgres
  rm -rf "$site" "$WORK/results/postgres-100k"
  psql -q -v ON_ERROR_STOP=1 "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB"
  ENAMEL_DATABASE__URL=$PG/$PG_DB "$ENAMEL" --data-dir "$site" init --practice-name Bench >/dev/null
  "$B" seed --database-url "$PG/$PG_DB" --key-file "$site/keys/kek.json" \
    --patients "$PATIENTS" --accounts-out "$site/bench-accounts.json"
  ENAMEL_DATABASE__URL=$PG/$PG_DB sign_seeded "$site" "$WORK/postgres-100k.signer.json"
  # What autovacuum would have done by then: fresh statistics for the planner.
  psql -q "$PG/$PG_DB" -c "VACUUM ANALYZE"
  "${RUN[@]}" --site "$site" --accounts "$site/bench-accounts.json" \
    --signer-pristine "$WORK/postgres-100k.signer.json" --pg-template "$PG_DB" --pg-server-url "$PG" --pg-admin-url "$PG/postgres" \
    --out "$WORK/results/postgres-100k" --figures "$FIGURES" --label "PostgreSQL 15, $PATIENTS patients"
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $PG_DB"
}

# Grows the seeded SQLite site to $BIG patients, then measures search (and reads) there.
search_big() {
  local site=$WORK/sqlite
  [ -f "$WORK/sqlite-100k.db" ] || { echo "run the sqlite stage first" >&2; exit 1; }
  rm -f "$site/enamel.db-wal" "$site/enamel.db-shm"
  cp "$WORK/sqlite-100k.db" "$site/enamel.db"
  cp "$WORK/sqlite-100k.signer.json" "$site/audit-signing/checkpoint-signer-memory.json"
  "$B" seed --database-url "sqlite://$site/enamel.db" --key-file "$site/keys/kek.json" \
    --patients "$((BIG - PATIENTS))" --seed 3026
  sign_seeded "$site" "$WORK/sqlite-big.signer.json"
  snapshot "$site/enamel.db" "$WORK/sqlite-big.db"
  rm -rf "$WORK/results/sqlite-big"
  "${RUN[@]}" --site "$site" --accounts "$site/bench-accounts.json" \
    --sqlite-pristine "$WORK/sqlite-big.db" --signer-pristine "$WORK/sqlite-big.signer.json" --out "$WORK/results/sqlite-big" \
    --figures healthz,read,search,search@1 --label "SQLite, $BIG patients"
}

case "${1:-all}" in
  sqlite) sqlite ;;
  postgres) postgres ;;
  search-1m) search_big ;;
  all) sqlite; postgres; search_big ;;
  *) echo "usage: $0 sqlite|postgres|search-1m|all" >&2; exit 2 ;;
esac
