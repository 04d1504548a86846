#!/usr/bin/env bash
# The benchmarks at GPU sizes, as one script for a short lease of a GPU machine: each benchmark's
# table goes to stdout and to $OUT/NAME.log (OUT defaults to bench/gpu-out). Every benchmark
# times ours against its baseline in the same process, so each ratio stands on its own card.
#
#   bash bench/gpu.sh            # on the GPU machine (a few minutes after compilation)
#   DRY=1 bash bench/gpu.sh      # the same commands at toy sizes, to check them on a CPU
#
# Python packages the machine lacks (mctx, pgx, svgwrite) may be carried as wheels in .whl/; they
# are installed to /tmp/site first. Each benchmark is cut at BENCH_TIMEOUT seconds (default 120)
# so that one slow point cannot use up the lease; a cut benchmark's log says so. Once DEADLINE
# seconds (default 900) have passed, the benchmarks not yet started are skipped and say so.
set -u
OUT=${OUT:-bench/gpu-out}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
PY=${PY:-python3}
LIMIT=${BENCH_TIMEOUT:-120}
DEADLINE=${DEADLINE:-900}

bench() {
  local name=$1
  shift
  if [ $SECONDS -ge "$DEADLINE" ]; then
    echo "== $name: skipped (${SECONDS} s of ${DEADLINE} s used)" | tee "$OUT/$name.log"
    return
  fi
  echo "== $name: $*"
  local start=$SECONDS
  timeout "$LIMIT" "$PY" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  [ $rc -eq 124 ] && echo "cut at ${LIMIT} s" >>"$OUT/$name.log"
  echo "exit $rc after $((SECONDS - start)) s" >>"$OUT/$name.log"
  tail -n 12 "$OUT/$name.log"
}

"$PY" -c "import jax; print('jax', jax.__version__, jax.devices())" | tee "$OUT/machine.log"
nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.max.sm --format=csv >>"$OUT/machine.log" 2>&1

if [ -n "${DRY:-}" ]; then
  bench vmapped_seeds bench/vmapped_seeds.py --rounds 1 --iterations 1 --num-envs 16
  bench vmapped_seeds_wide bench/vmapped_seeds.py --rounds 1 --iterations 1 --num-envs 32
  bench search bench/native_search.py --algorithms --configs 3:2x1 --batch 8 --simulations 4 \
    --no-sweep --min-seconds 0.05 --rounds 1
  bench connect_four bench/connect_four.py --batches 64 --steps 8 --repeats 1
  bench hex_env bench/hex_env.py --sizes 5 --batches 64 --steps 8 --repeats 1
  bench tournament bench/tournament.py --simulations 0 2 --snapshots 2 --games 2
else
  # Issue-sized points: three seeds of a 4x4 8x1 run (the CPU benchmark's point), then the same
  # at 4,096 games per seed, where a GPU has work enough to fill it.
  bench vmapped_seeds bench/vmapped_seeds.py
  bench vmapped_seeds_wide bench/vmapped_seeds.py --num-envs 4096 --rounds 3 --iterations 2
  bench search bench/native_search.py --algorithms --configs 4:16x1 9:512x4 --batch 1024 \
    --simulations 32 --no-sweep
  bench connect_four bench/connect_four.py --batches 16384
  bench hex_env bench/hex_env.py --sizes 9 11 --batches 16384
  bench tournament bench/tournament.py
fi
