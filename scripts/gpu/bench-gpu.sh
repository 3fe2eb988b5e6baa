#!/usr/bin/env bash
# The GPU benchmark, for the device machine (from the repo root there, with .gpu-bundle carried):
#   bash scripts/gpu/bench-gpu.sh
# 1. nf-train's step (bench-train.mjs) on webgpu: img/s of dm_nfnet_f0 at 224×224 for increasing
#    batch sizes until one does not fit (the largest that fits is the last that ran), then
#    dm_nfnet_f1 the same way if its smallest batch fits;
# 2. conv GFLOP/s of every distinct F0 conv shape at 224² on webgpu (bench-conv.mjs);
# 3. the same with the machine's PyTorch + timm (bench_torch.py: timm.create_model, fp32, CUDA),
#    when python3 has them;
# 4. a table with ours/PyTorch ratios (bench-table.mjs), printed and saved.
# Results: $BENCH_OUT (default $OUT/nf-bench where the device tool sets OUT, else /tmp/nf-bench):
# results.jsonl, table.md, log.txt.
#
# Settings (environment), with defaults sized for one device command (at most 10 minutes):
#   BENCH_MODELS="dm_nfnet_f0 dm_nfnet_f1"  BENCH_RES=224  BENCH_BATCHES="16 32 64 128 256 512"
#   BENCH_STEPS=5  BENCH_WARMUP=2  BENCH_CLASSES=1000  BENCH_OVERRIDES='{}' (model config overrides)
#   BENCH_BACKEND=webgpu  BENCH_CONV_BATCH=32  BENCH_CONV_ITERS=10
#   BENCH_TRAIN_BUDGET_S="130 70" (per model, in order; the last repeats)  BENCH_CONV_BUDGET_S=50
#   BENCH_TORCH_BUDGET_S=50 (per model)  BENCH_DEADLINE_S=540: every phase is killed by then, and
#   the table is still printed from what ran (a budget stops a batch series between batches; the
#   deadline and 30 s over a budget kill a hung run)
#   BENCH_TORCH=1 (0 skips PyTorch)  BENCH_TORCH_DEVICE=cuda  BENCH_TORCH_TF32=0
#   BENCH_LOCAL=1  use this machine's node and apps/trainer instead of the bundle (a check where
#                  Node is installed, e.g. on lavapipe with a tiny BENCH_OVERRIDES and BENCH_RES)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${BENCH_LOCAL:-0}" = 1 ]; then
  NF_NODE=$(command -v node) NF_APP_DIR=$(cd "$here/../../apps/trainer" && pwd)
  export NF_NODE NF_APP_DIR
  nf_gpu_adapter() { "$NF_NODE" "$here/adapter.mjs" >&2 || true; }
else
  set -e
  # shellcheck source=env.sh
  . "$here/env.sh"
  set +e
fi

models=${BENCH_MODELS:-dm_nfnet_f0 dm_nfnet_f1}
res=${BENCH_RES:-224}
batches=$(echo "${BENCH_BATCHES:-16 32 64 128 256 512}" | tr ' ' ',')
steps=${BENCH_STEPS:-5}
warmup=${BENCH_WARMUP:-2}
classes=${BENCH_CLASSES:-1000}
overrides=${BENCH_OVERRIDES:-\{\}}
backend=${BENCH_BACKEND:-webgpu}
out=${BENCH_OUT:-${OUT:-/tmp}/nf-bench}
mkdir -p "$out"
results=$out/results.jsonl
log=$out/log.txt
: >"$results"
: >"$log"
say() { echo "bench: $*" | tee -a "$log" >&2; }
t_start=$(date +%s)
elapsed() { echo $(( $(date +%s) - t_start )); }
deadline=${BENCH_DEADLINE_S:-540}
# cap <seconds>: the kill limit for a phase that should take <seconds>: +30 s, within the deadline.
cap() { local left=$((deadline - $(elapsed))) want=$(($1 + 30)); [ "$want" -lt "$left" ] && echo "$want" || echo "$left"; }

nf_gpu_adapter 2>&1 | tee -a "$log" >&2
say "models: $models; ${res}²; batches $batches; $steps timed steps after $warmup; backend $backend; node $("$NF_NODE" --version)"

# The tfjs runs print Dawn's warnings on stderr; keep them in the log, not in the table.
run_js() { # <timeout s> <script> <args...>
  local limit=$1
  shift
  [ "$limit" -ge 10 ] || { say "$1 skipped: the ${deadline} s deadline is near"; return; }
  timeout --signal=KILL "$limit" "$NF_NODE" "$here/$1" "${@:2}" 2>>"$log" | tee -a "$results"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || say "$1 ended with status $rc (137: killed at its ${limit} s limit)"
}

# ---------------------------------------------------------------- 1. training throughput (ours)
read -r -a train_budgets <<<"${BENCH_TRAIN_BUDGET_S:-130 70}"
i=0
for m in $models; do
  train_budget=${train_budgets[$i]:-${train_budgets[-1]}}
  i=$((i + 1))
  say "train $m on $backend, budget $train_budget s ($(elapsed) s so far)"
  run_js "$(cap "$train_budget")" bench-train.mjs --backend "$backend" --model "$m" --res "$res" --batches "$batches" \
    --steps "$steps" --warmup "$warmup" --classes "$classes" --budget-s "$train_budget" --overrides "$overrides" >/dev/null
done

# ---------------------------------------------------------------- 2. conv GFLOP/s (ours)
first_model=${models%% *}
conv_budget=${BENCH_CONV_BUDGET_S:-50}
say "convs of $first_model on $backend ($(elapsed) s so far)"
run_js "$(cap "$conv_budget")" bench-conv.mjs --backend "$backend" --model "$first_model" --res "$res" --batch "${BENCH_CONV_BATCH:-32}" \
  --iters "${BENCH_CONV_ITERS:-10}" --budget-s "$conv_budget" --overrides "$overrides" --shapes-out "$out/conv-shapes.json" >/dev/null

# ---------------------------------------------------------------- 3. PyTorch + timm
if [ "${BENCH_TORCH:-1}" = 1 ] && command -v python3 >/dev/null 2>&1; then
  torch_budget=${BENCH_TORCH_BUDGET_S:-50}
  targs=(--device "${BENCH_TORCH_DEVICE:-cuda}")
  [ "${BENCH_TORCH_TF32:-0}" = 1 ] && targs+=(--tf32)
  for m in $models; do
    limit=$(cap "$torch_budget")
    [ "$limit" -ge 10 ] || { say "PyTorch train $m skipped: the deadline is near"; continue; }
    say "PyTorch train $m ($(elapsed) s so far)"
    timeout --signal=KILL "$limit" python3 "$here/bench_torch.py" train --model "$m" --res "$res" --batches "$batches" \
      --steps "$steps" --warmup "$warmup" --classes "$classes" --budget-s "$torch_budget" "${targs[@]}" 2>>"$log" | tee -a "$results" >/dev/null
  done
  limit=$(cap 40)
  if [ -f "$out/conv-shapes.json" ] && [ "$limit" -ge 10 ]; then
    say "PyTorch convs ($(elapsed) s so far)"
    timeout --signal=KILL "$limit" python3 "$here/bench_torch.py" conv --shapes "$out/conv-shapes.json" --iters "${BENCH_CONV_ITERS:-10}" \
      "${targs[@]}" 2>>"$log" | tee -a "$results" >/dev/null
  fi
else
  say "PyTorch skipped (BENCH_TORCH=0 or no python3)"
fi

# ---------------------------------------------------------------- 4. table
"$NF_NODE" "$here/bench-table.mjs" "$results" | tee "$out/table.md"
say "done in $(elapsed) s; results in $out (results.jsonl, table.md, log.txt)"
