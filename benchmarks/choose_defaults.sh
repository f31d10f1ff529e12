#!/usr/bin/env bash
# How the defaults of options/unlearn_{rain,haze,noise}.yml were chosen (README, "Defaults"):
# our method's options varied one at a time around a centre, each variant scored by Avg. Gap
# on the mini benchmark's *val* split (test is never looked at); the learning rate is swept
# by `basicsr-unlearn benchmark`, for every method alike. Round 1 starts from the first
# defaults (AscentLoss bound input x1.0, PGD L-inf eps 4/255 weight 1); round 2 starts from
# round 1's finding (no PGD term). Round 3 starts from the round-2 defaults and tries moving the
# forget degradations onto other clean images (datasets.train.forget_mix), an L2 bound, and
# weighting the retain sources so that each retained degradation counts alike (noise's three
# levels weigh as much as the other degradation); round 4 refines rain around round 3's
# winner. Round 5 (rain) runs every variant with three seeds (`--seeds`, which also seed the
# crops and draws) and ranks by the mean: one seed's ranking was within the seed-to-seed
# spread; it re-runs the L2 bound at 80 steps, tries 8 pairs a step instead of 4 and then,
# at 8, a higher rate, an L2 bound and 60 steps (about 25 minutes). Round 6 does the same for
# haze and noise: their round-3 files with three seeds, alone and with 8 pairs a step or
# distillation, then rain's recipe (8 pairs, no PGD, distillation) at two rates and, for
# haze, bound x1.0 (about 55 minutes). Round 7 (rain) tries, over three seeds, what might
# close the remaining forget gap of the rain file: an L2 bound, forget weight 2, 50 steps,
# noise50 weight 2, and at 50 steps distillation weight 2 (about 21 minutes; 50 steps'
# lead was within the noise, and the file keeps 40: README). Round 8 (haze) tries, over three
# seeds, what might close haze's membership gap: bound x0.9, forget weight 0.5 (the winner)
# and forget_mix 0.5 (about 12 minutes). Round 9 measures DESIGN.md's other optional extra,
# an L2 anchor to the original weights, around each shipped file (about 45 minutes;
# nothing adopted: README). Round 10 (noise) tries distillation at weights 0.25 and 0.5 on
# the noise file (about 15 minutes; nothing adopted). Round 11 (noise) weights rain 2 or 3
# to 1 in the retain draw, then rain 3 at lr 1e-3 (about 20 minutes; both are the new noise
# default). Run from a folder
# holding (or getting) datasets/mini_allinone; about 5 minutes per task and round on 2 CPU
# cores (noise: 10).
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
# Rounds 1 and 2 ran on the option files of commit 002f46d (before round 3 changed them);
# rounds 3 and 4 set every key that round 3 changed, so they reproduce from today's files.
if [[ " ${ROUNDS:-1 2} " == *" 3 "* ]]; then
  basicsr-unlearn sweep --task rain --out "$OUT/round3" --set datasets:train:forget_mix=1.0 \
    datasets:train:retain:3:weight=1 --vary train:forget_opt:bound_criterion=l2 \
    datasets:train:retain:3:weight=3 train:total_iter=60 | tee "$OUT/round3_rain.txt"
  basicsr-unlearn sweep --task rain --out "$OUT/round3_unmixed" --set datasets:train:forget_mix=0 \
    datasets:train:retain:3:weight=3 | tee "$OUT/round3_rain_unmixed.txt"
  basicsr-unlearn sweep --task haze --out "$OUT/round3" --set datasets:train:forget_mix=1.0 \
    datasets:train:retain:3:weight=3 --vary datasets:train:forget_mix=0 datasets:train:forget_mix_clean=forget \
    | tee "$OUT/round3_haze.txt"
  basicsr-unlearn sweep --task noise --out "$OUT/round3" --set datasets:train:forget_mix=1.0 \
    --vary datasets:train:forget_mix=0 datasets:train:forget_mix_clean=forget | tee "$OUT/round3_noise.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 4 "* ]]; then
  basicsr-unlearn sweep --task rain --out "$OUT/round4" --set datasets:train:forget_mix=1.0 \
    datasets:train:retain:3:weight=3 --vary train:forget_opt:bound_criterion=l2 train:total_iter=60 \
    train:forget_opt:loss_weight=2 | tee "$OUT/round4_rain.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 5 "* ]]; then  # the centre is the round-4 file at batch 4, lr 5e-4
  basicsr-unlearn sweep --task rain --out "$OUT/round5" --seeds 0 1 2 --set datasets:train:batch_size_per_gpu=4 \
    lr=5e-4 --vary datasets:train:batch_size_per_gpu=8 | tee "$OUT/round5_rain_batch.txt"
  basicsr-unlearn sweep --task rain --out "$OUT/round5_l2" --seeds 0 1 2 --set datasets:train:batch_size_per_gpu=4 \
    lr=5e-4 train:forget_opt:bound_criterion=l2 train:total_iter=80 | tee "$OUT/round5_rain_l2_80.txt"
  basicsr-unlearn sweep --task rain --out "$OUT/round5_b8" --seeds 0 1 2 --set datasets:train:batch_size_per_gpu=8 \
    lr=5e-4 --vary lr=1e-3 train:forget_opt:bound_criterion=l2 train:total_iter=60 | tee "$OUT/round5_rain_b8.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 6 "* ]]; then
  # haze: the round-3 file (batch 4, PGD 4/255, bound x1.1), then rain's recipe (8 pairs, no PGD, distillation)
  OLD_HAZE=(datasets:train:batch_size_per_gpu=4 train:adversarial_opt:loss_weight=1.0
            train:forget_opt:bound_scale=1.1 'train:distill_opt=~')
  RECIPE=(datasets:train:batch_size_per_gpu=8 train:adversarial_opt:loss_weight=0
          'train:distill_opt={type: L1Loss, loss_weight: 1.0}')
  basicsr-unlearn sweep --task haze --out "$OUT/round6" --seeds 0 1 2 --set "${OLD_HAZE[@]}" \
    --vary datasets:train:batch_size_per_gpu=8 'train:distill_opt={type: L1Loss, loss_weight: 1.0}' \
    | tee "$OUT/round6_haze.txt"
  basicsr-unlearn sweep --task haze --out "$OUT/round6_recipe" --seeds 0 1 2 --set "${RECIPE[@]}" \
    train:forget_opt:bound_scale=1.1 --vary lr=1e-3 train:forget_opt:bound_scale=1.0 | tee "$OUT/round6_haze_recipe.txt"
  # noise: the round-3 file (batch 4, PGD 1/255 weight 0.5), then rain's recipe
  basicsr-unlearn sweep --task noise --out "$OUT/round6" --seeds 0 1 2 --set datasets:train:batch_size_per_gpu=4 \
    --vary datasets:train:batch_size_per_gpu=8 'train:distill_opt={type: L1Loss, loss_weight: 1.0}' \
    | tee "$OUT/round6_noise.txt"
  basicsr-unlearn sweep --task noise --out "$OUT/round6_recipe" --seeds 0 1 2 --set "${RECIPE[@]}" \
    --vary lr=1e-3 | tee "$OUT/round6_noise_recipe.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 7 "* ]]; then  # the centre is the rain file of round 5 (8 pairs, lr 1e-3, 40 steps)
  basicsr-unlearn sweep --task rain --out "$OUT/round7" --seeds 0 1 2 --set train:total_iter=40 --vary \
    train:forget_opt:bound_criterion=l2 train:forget_opt:loss_weight=2 train:total_iter=50 \
    datasets:train:retain:2:weight=2 | tee "$OUT/round7_rain.txt"
  basicsr-unlearn sweep --task rain --out "$OUT/round7_50" --seeds 0 1 2 --set train:total_iter=50 \
    --vary train:distill_opt:loss_weight=2 | tee "$OUT/round7_rain_50.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 8 "* ]]; then  # the centre is the haze file of round 6 (forget weight 1)
  basicsr-unlearn sweep --task haze --out "$OUT/round8" --seeds 0 1 2 --set train:forget_opt:loss_weight=1.0 --vary \
    train:forget_opt:bound_scale=0.9 train:forget_opt:loss_weight=0.5 datasets:train:forget_mix=0.5 \
    | tee "$OUT/round8_haze.txt"
fi
NOISE_ROUND6=(--set datasets:train:retain:0:weight=1 lr=5e-4)  # the noise file before round 11
if [[ " ${ROUNDS:-1 2} " == *" 9 "* ]]; then  # DESIGN's L2 anchor to the original weights, around the files of the time
  basicsr-unlearn sweep --task rain --out "$OUT/round9" --seeds 0 1 2 \
    --vary 'train:anchor_opt={loss_weight: 1e-3},{loss_weight: 1e-2},{loss_weight: 1e-1}' | tee "$OUT/round9_rain.txt"
  basicsr-unlearn sweep --task haze --out "$OUT/round9" --seeds 0 1 2 \
    --vary 'train:anchor_opt={loss_weight: 1e-3},{loss_weight: 1e-2}' | tee "$OUT/round9_haze.txt"
  basicsr-unlearn sweep --task noise --out "$OUT/round9" --seeds 0 1 2 "${NOISE_ROUND6[@]}" \
    --vary 'train:anchor_opt={loss_weight: 1e-3},{loss_weight: 1e-2}' | tee "$OUT/round9_noise.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 10 "* ]]; then  # the centre is the noise file of round 6 (no distillation)
  basicsr-unlearn sweep --task noise --out "$OUT/round10" --seeds 0 1 2 "${NOISE_ROUND6[@]}" --vary \
    'train:distill_opt={type: L1Loss, loss_weight: 0.25},{type: L1Loss, loss_weight: 0.5}' | tee "$OUT/round10_noise.txt"
fi
if [[ " ${ROUNDS:-1 2} " == *" 11 "* ]]; then  # the centre is the noise file of round 6 (rain and haze alike)
  basicsr-unlearn sweep --task noise --out "$OUT/round11" --seeds 0 1 2 "${NOISE_ROUND6[@]}" \
    --vary datasets:train:retain:0:weight=2,3 | tee "$OUT/round11_noise.txt"
  basicsr-unlearn sweep --task noise --out "$OUT/round11_lr" --seeds 0 1 2 --set datasets:train:retain:0:weight=3 \
    lr=1e-3 | tee "$OUT/round11_noise_lr.txt"  # the rate the noise benchmark chose with rain 3 to 1
fi
