#!/usr/bin/env bash
# How the defaults of options/unlearn_{rain,haze,noise}.yml were chosen (README, "Defaults"):
# our method's options varied one at a time around a centre, each variant scored by Avg. Gap
# on the mini benchmark's *val* split (test is never looked at); the learning rate is swept
# by `basicsr-unlearn benchmark`, for every method alike. Round 1 starts from the first
# defaults (AscentLoss bound input x1.0, PGD L-inf eps 4/255 weight 1); round 2 starts from
# round 1's finding (no PGD term). Run from a folder holding (or getting) datasets/mini_allinone;
# about 5 minutes per task and round on 2 CPU cores (noise: 10).
set -euo pipefail
OUT=${OUT:-sweep_runs}; mkdir -p "$OUT"
for task in ${TASKS:-rain haze noise}; do
  if [[ " ${ROUNDS:-1 2} " == *" 1 "* ]]; then
    basicsr-unlearn sweep --task "$task" --out "$OUT/round1" --vary \
      train:forget_opt:bound_scale=1.1,1.25,1.5 \
      train:adversarial_opt:loss_weight=0 | tee "$OUT/round1_$task.txt"
  fi
  if [[ " ${ROUNDS:-1 2} " == *" 2 "* ]]; then
    basicsr-unlearn sweep --task "$task" --out "$OUT/round2" --set train:adversarial_opt:loss_weight=0 --vary \
      'train:adversarial_opt={loss_weight: 0.5, norm: linf, eps: 0.0039, steps: 1}' \
      'train:distill_opt={type: L1Loss, loss_weight: 1.0}' \
      train:forget_opt:loss_weight=0.5 \
      train:forget_opt:bound_scale=1.1 | tee "$OUT/round2_$task.txt"
  fi
done
