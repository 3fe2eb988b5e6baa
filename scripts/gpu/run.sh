#!/usr/bin/env bash
# Runs nf-train on the GPU device machine from the bundle that scripts/gpu/pack.mjs made (the
# machine has no Node and no network). From the repo root there:
#   bash scripts/gpu/run.sh info --backend webgpu
#   bash scripts/gpu/run.sh train --preset synthetic --backend webgpu --max-steps 20 --out /tmp/wg
#   bash scripts/gpu/run.sh node some-script.mjs ...     (any script, with the bundled node)
# with .gpu-bundle named in the run's `carry`. It unpacks the bundle (NF_GPU_DIR, default
# /tmp/nf-gpu), brings the Vulkan loader from the bundle when the machine has none, points
# VK_DRIVER_FILES at the NVIDIA ICD json, prints the WebGPU adapter, then runs the command.
# Without arguments: `info --backend webgpu`. Settings: see env.sh.
set -euo pipefail
# shellcheck source=env.sh
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

nf_gpu_adapter
if [ "${1:-}" = node ]; then
  shift
  exec "$NF_NODE" "$@"
fi
[ $# -gt 0 ] || set -- info --backend webgpu
exec "$NF_NODE" "$NF_APP_DIR/dist/cli.js" "$@"
