#!/usr/bin/env bash
# GPU check, run once on a CUDA machine from the repo root (docs/Benchmark.md, "Cost of a step").
# Wheels of packages the machine lacks (basicsr, addict, lmdb) are expected in .whl/.
# Writes its results under $OUT (default: ./device_out).
set -uo pipefail
OUT=${OUT:-device_out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=4
python3 -m pip install -q --no-index --no-deps .whl/*.whl
python3 -m pip install -q --no-index --no-deps --no-build-isolation . || exit 1
python3 -c "import sys, torch, torchvision, basicsr; print(sys.version.split()[0], torch.__version__, torchvision.__version__, basicsr.__version__, torch.cuda.get_device_name())"
python3 -c "import basicsr, sys; assert 'basicsr_unlearn' in sys.modules; print('hook ok')"
python3 benchmarks/step_cost.py --full --device cuda --batch 4 --size 128 --json "$OUT/step_cost_promptir_gpu.json"
python3 benchmarks/step_cost.py --device cuda --batch 4 --size 48 --json "$OUT/step_cost_tiny_gpu.json"
basicsr-unlearn prepare-data > /dev/null
sed -e 's/^num_gpu: 0.*/num_gpu: auto/' -e 's/^name: .*/name: gpu_unlearn_rain/' options/unlearn/PromptIR/unlearn_rain_promptir_tiny.yml > /tmp/gpu_unlearn_rain.yml
TRAIN=$(python3 -c 'import basicsr, os; print(os.path.dirname(basicsr.__file__))')/train.py
# BasicSR's own train.py under torchrun, NCCL, through the start-up hook; then a CUDA resume
torchrun --standalone --nproc_per_node=1 "$TRAIN" -opt /tmp/gpu_unlearn_rain.yml --launcher pytorch > "$OUT/torchrun_nccl.log" 2>&1
echo "torchrun exit $?"; grep -E "Distributed:|iter:|# psnr|End of training" "$OUT/torchrun_nccl.log" | cut -c1-160
torchrun --standalone --nproc_per_node=1 "$TRAIN" -opt /tmp/gpu_unlearn_rain.yml --launcher pytorch --auto_resume \
  --force_yml train:total_iter=80 > "$OUT/torchrun_resume.log" 2>&1
echo "resume exit $?"; grep -E "Resuming|iter:  *80" "$OUT/torchrun_resume.log" | cut -c1-160
