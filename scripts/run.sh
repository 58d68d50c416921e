#!/usr/bin/env bash
# The main job on an embedded default, for a fresh Debian 12 machine:
# installs what is missing, builds Release, generates the synthetic SVM data of
# Wangni et al. (NeurIPS 2018) Section 4.2 (N=51200, d=256, C1=0.01, C2=0.9),
# prints its statistics, and runs one cell of the paper's multi-thread SVM
# experiment (hinge, reg 0.05, 16 Hogwild threads, atomic writes, GSpar
# sparsification; configs/wangni-svm-default.ini) against the exact optimum,
# then predicts. Results in out/default/. The whole Figure 5 grid:
# bench/wangni_figure5.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh run
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target asyncopt_cli
bin=build/release/src/cli/asyncopt
out=out/default
mkdir -p "$out"
"$bin" generate --config configs/default-generate.ini --out "$out/svm-wangni.svm"
"$bin" info --data "$out/svm-wangni.svm"
"$bin" train --config configs/wangni-svm-default.ini --data "$out/svm-wangni.svm" \
  --summary "$out/summary.json" --trace "$out/trace.csv" --model "$out/model.txt"
"$bin" predict --model "$out/model.txt" --data "$out/svm-wangni.svm" --summary "$out/predict.json"
echo "results: $out/summary.json, $out/trace.csv, $out/model.txt, $out/predict.json"
