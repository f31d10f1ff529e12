#!/usr/bin/env bash
# The device check (docs/PublishedSize.md): on a lent CUDA machine, the published PromptIR and AdaIR
# rain-unlearning files run under torchrun with NCCL (one process, and two where there are two GPUs)
# on a subset of the real mini protocol, then evaluate; plus the cost table at batch 1, 2 and 4.
#
# Prepared here, carried there (the device copy takes 64 MiB at most):
#   python tools/subset_benchmark.py datasets/real_mini datasets/device_mini   # about 28 MB
#   .whl/  what the device's Python 3.12 lacks, about 2 MB:
#     pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \
#       -d .whl addict lmdb yapf future && pip wheel --no-deps --no-build-isolation -w .whl basicsr==1.4.2
# Then, from the repo root there:   bash benchmarks/device_check.sh
#   STEPS=200         unlearning steps per run
#   WEIGHTS=folder    holding promptir_allinone.pth and adair_allinone.pth (convert-checkpoint of the
#                     authors' releases); without it the networks start from random weights: step cost
#                     and memory are real, the forgetting figures are then not a verdict on anything.
#   SMOKE=1           a CPU rehearsal of the wiring: gloo, 2 steps, batch 1, 32 px crops, no cost table
# Writes $OUT (default benchmarks/results/device/): device_check.json (benchmarks/device_summary.py),
# published_cost.json, machine.txt and logs.tar.gz (training and evaluation logs, GPU memory traces, reports).
# A failed set-up step stops the script (-e); a failed run or evaluation is recorded in its log and
# the summary, the other runs go on, and the script exits non-zero at the end. Paths reach Python
# as arguments, never pasted into its source; the scratch folders go whatever happens.
set -euo pipefail
REPO=$(pwd)
OUT=$(realpath -m "${OUT:-benchmarks/results/device}"); mkdir -p "$OUT"
STEPS=${STEPS:-200}; DATA=$(realpath "${DATA:-datasets/device_mini}")
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
WORK=$(mktemp -d); SITE=$(mktemp -d); FAILED=0
trap 'rm -rf "$WORK" "$SITE"' EXIT

if [ -d .whl ]; then  # a bare machine: the wheels beside its torch, the plugin from this checkout
  python3 -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .whl/*.whl
  export PYTHONPATH=$SITE:$REPO${PYTHONPATH:+:$PYTHONPATH}
fi
python3 -c "import torch, basicsr; print('torch', torch.__version__, 'basicsr', basicsr.__version__,
  torch.cuda.get_device_name() if torch.cuda.is_available() else 'no CUDA')" | tee "$OUT/machine.txt"
GPUS=$(python3 -c "import torch; print(torch.cuda.device_count())")
if [ "${SMOKE:-0}" = 1 ]; then
  STEPS=2; NPROCS="1"
  SMALL=(num_gpu=0 dist_params:backend=gloo datasets:train:batch_size_per_gpu=1 datasets:train:gt_size=32)
  EVAL_DEVICE="--device cpu"
else
  [ "$GPUS" -ge 1 ] || { echo "no CUDA device: run with SMOKE=1 for a CPU rehearsal"; exit 1; }
  NPROCS="1"; [ "$GPUS" -ge 2 ] && NPROCS="1 2"
  SMALL=(); EVAL_DEVICE="--device cuda"
  (cd benchmarks && python3 published_cost.py --device cuda --batches 1 2 4 --json "$OUT/published_cost.json")
fi

# the published files read datasets/allinone and experiments/pretrained/<arch>_allinone.pth: a work
# folder gives them both, LMDB included, without touching the repository's own folders
LOGS=$WORK/logs; mkdir -p "$WORK/datasets" "$WORK/experiments/pretrained" "$LOGS"
cp -r "$DATA" "$WORK/datasets/allinone"
python3 -c "import sys; from basicsr_unlearn.prepare.real_datasets import make_lmdbs; make_lmdbs(sys.argv[1])" \
  "$WORK/datasets/allinone" > "$LOGS/make_lmdbs.log" 2>&1
for ARCH in PromptIR AdaIR; do
  DST=$WORK/experiments/pretrained/${ARCH,,}_allinone.pth
  if [ -n "${WEIGHTS:-}" ]; then cp "$WEIGHTS/${ARCH,,}_allinone.pth" "$DST"
  else python3 -c "import sys, torch, basicsr_unlearn; from basicsr.archs import build_network; torch.manual_seed(0)
torch.save({'params': build_network({'type': sys.argv[1]}).state_dict()}, sys.argv[2])" "$ARCH" "$DST"; fi
done

for ARCH in PromptIR AdaIR; do
  SHORT=${ARCH,,}
  for N in $NPROCS; do
    NAME=device_rain_${SHORT}_x$N
    if [ "$GPUS" -ge 1 ]; then
      nvidia-smi --query-gpu=index,memory.used --format=csv,noheader,nounits -lms 200 > "$LOGS/$NAME.gpu_memory.csv" &
      WATCH=$!
    fi
    START=$(date +%s.%N); STATUS=0
    (cd "$WORK" && torchrun --standalone --nproc_per_node="$N" -m basicsr_unlearn.train \
      -opt "$REPO/options/unlearn/$ARCH/unlearn_rain_$SHORT.yml" --launcher pytorch --force_yml "name=$NAME" \
      "train:total_iter=$STEPS" "val:val_freq=$STEPS" "logger:save_checkpoint_freq=$STEPS" logger:print_freq=10 \
      logger:use_tb_logger=false datasets:train:num_worker_per_gpu=4 "${SMALL[@]}") > "$LOGS/$NAME.log" 2>&1 \
      || { STATUS=$?; FAILED=1; }
    echo "$NAME: exit $STATUS after $(echo "$(date +%s.%N) - $START" | bc) s"
    if [ -n "${WATCH:-}" ]; then kill "$WATCH" || true; unset WATCH; fi
    STATUS=0
    (cd "$WORK" && python3 -m basicsr_unlearn evaluate --forget rain --original "experiments/pretrained/${SHORT}_allinone.pth" \
      --unlearned "ours=experiments/$NAME/models/net_g_latest.pth" \
      --opt "$REPO/options/unlearn/$ARCH/unlearn_rain_$SHORT.yml" --data datasets/allinone --split test $EVAL_DEVICE \
      --out "$LOGS/$NAME.report") > "$LOGS/$NAME.evaluate.log" 2>&1 || { STATUS=$?; FAILED=1; }
    echo "$NAME evaluate: exit $STATUS"
  done
done
python3 benchmarks/device_summary.py "$LOGS" --steps "$STEPS" --weights "${WEIGHTS:-random}" \
  && mv "$LOGS/device_check.json" "$OUT/" || FAILED=1
tar -czf "$OUT/logs.tar.gz" -C "$WORK" logs
exit "$FAILED"
