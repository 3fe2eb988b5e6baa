# shellcheck shell=bash
# Sourced by run.sh and bench-gpu.sh on the device machine (no Node, no network): unpacks the
# bundle that scripts/gpu/pack.mjs made, makes the Vulkan loader available, points Vulkan at the
# NVIDIA driver, and exports
#   NF_NODE     the bundled node binary
#   NF_APP_DIR  the unpacked trainer (dist/cli.js, node_modules/)
# Settings (environment):
#   NF_GPU_BUNDLE  the bundle folder (default: <repo>/.gpu-bundle, the folder named in `carry`)
#   NF_GPU_DIR     where to unpack (default /tmp/nf-gpu; reused while SHA256SUMS is unchanged)
#   NF_GPU_ICD     a Vulkan ICD json to use instead of searching for NVIDIA's
#   VK_DRIVER_FILES / VK_ICD_FILENAMES  when set, left as they are

NF_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NF_GPU_BUNDLE=${NF_GPU_BUNDLE:-$NF_REPO/.gpu-bundle}
NF_GPU_DIR=${NF_GPU_DIR:-/tmp/nf-gpu}
export NF_REPO NF_GPU_BUNDLE NF_GPU_DIR

nf_die() { echo "nf-gpu: $*" >&2; exit 1; }
nf_log() { echo "nf-gpu: $*" >&2; }

# xz -dc, or Python's lzma where the xz program is missing.
nf_unxz() { # <file.xz> <out>
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"), 1 << 20)' "$1" "$2"
  else nf_die "cannot decompress $1: neither xz nor python3 is installed"; fi
}
nf_untar_xz() { # <file.tar.xz> <dir>
  if command -v xz >/dev/null 2>&1 && command -v tar >/dev/null 2>&1; then xz -dc "$1" | tar -x -C "$2"
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$1" "$2" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], 'r:xz') as t:
    kw = {'filter': 'fully_trusted'} if hasattr(tarfile, 'fully_trusted_filter') else {}
    t.extractall(sys.argv[2], **kw)
PY
  else nf_die "cannot unpack $1: neither xz+tar nor python3 is installed"; fi
}
# dpkg -x, or ar + tar through Python.
nf_deb_x() { # <file.deb> <dir>
  if command -v dpkg >/dev/null 2>&1; then dpkg -x "$1" "$2"; return; fi
  command -v python3 >/dev/null 2>&1 || nf_die "cannot unpack $1: neither dpkg nor python3"
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'!<arch>\n', 'not a .deb'
i = 8
while i < len(data):
    name = data[i:i + 16].decode().strip().rstrip('/'); size = int(data[i + 48:i + 58]); body = data[i + 60:i + 60 + size]
    if name.startswith('data.tar'):
        with tarfile.open(fileobj=io.BytesIO(body), mode='r:*') as t:
            t.extractall(sys.argv[2])
    i += 60 + size + (size & 1)
PY
}

# ---------------------------------------------------------------- unpack (once per bundle)
[ -f "$NF_GPU_BUNDLE/SHA256SUMS" ] || nf_die "no bundle in $NF_GPU_BUNDLE: run 'node scripts/gpu/pack.mjs' where Node is, and name .gpu-bundle in the run's carry"
mkdir -p "$NF_GPU_DIR"
if ! cmp -s "$NF_GPU_BUNDLE/SHA256SUMS" "$NF_GPU_DIR/SHA256SUMS"; then
  t0=$(date +%s)
  if command -v sha256sum >/dev/null 2>&1; then
    (cd "$NF_GPU_BUNDLE" && sha256sum -c --quiet SHA256SUMS) || nf_die "the bundle in $NF_GPU_BUNDLE is damaged (SHA256SUMS)"
  fi
  rm -rf "$NF_GPU_DIR/nf" "$NF_GPU_DIR/bin" "$NF_GPU_DIR/vulkan"
  mkdir -p "$NF_GPU_DIR/bin"
  nf_unxz "$NF_GPU_BUNDLE/node.xz" "$NF_GPU_DIR/bin/node"
  chmod 755 "$NF_GPU_DIR/bin/node"
  nf_untar_xz "$NF_GPU_BUNDLE/app.tar.xz" "$NF_GPU_DIR"
  cp "$NF_GPU_BUNDLE/SHA256SUMS" "$NF_GPU_DIR/SHA256SUMS"
  nf_log "unpacked $NF_GPU_BUNDLE into $NF_GPU_DIR in $(( $(date +%s) - t0 )) s"
fi
NF_NODE=$NF_GPU_DIR/bin/node
NF_APP_DIR=$NF_GPU_DIR/nf
export NF_NODE NF_APP_DIR
"$NF_NODE" -e 0 || nf_die "the bundled node does not run on this machine ($(uname -m))"

# ---------------------------------------------------------------- the Vulkan loader
nf_ldconfig() { if command -v ldconfig >/dev/null 2>&1; then ldconfig "$@"; elif [ -x /sbin/ldconfig ]; then /sbin/ldconfig "$@"; fi; }
nf_ldcache=$(nf_ldconfig -p 2>/dev/null || true)  # (not piped into grep -q: pipefail + SIGPIPE)
if grep -q 'libvulkan\.so\.1 ' <<<"$nf_ldcache"; then
  nf_log "Vulkan loader: the system's ($(grep -m1 'libvulkan\.so\.1 ' <<<"$nf_ldcache" | sed 's/.*=> //'))"
else
  deb=$(ls "$NF_GPU_BUNDLE"/libvulkan1_*.deb 2>/dev/null | head -n 1 || true)
  [ -n "$deb" ] || nf_log "warning: no libvulkan.so.1 on this machine and no libvulkan1 .deb in the bundle: webgpu will not start"
  if [ -n "$deb" ]; then
    # Unpacked beside the app rather than into / (the device README's dpkg -x ... /; ldconfig works
    # too): dlopen("libvulkan.so.1") honours LD_LIBRARY_PATH.
    [ -d "$NF_GPU_DIR/vulkan" ] || { mkdir -p "$NF_GPU_DIR/vulkan" && nf_deb_x "$deb" "$NF_GPU_DIR/vulkan"; }
    lib=$(dirname "$(find "$NF_GPU_DIR/vulkan" -name 'libvulkan.so.1' | head -n 1)")
    export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    nf_log "Vulkan loader: $(basename "$deb") in $lib"
  fi
fi

# ---------------------------------------------------------------- the NVIDIA driver (ICD)
if [ -n "${NF_GPU_ICD:-}" ]; then
  export VK_DRIVER_FILES=$NF_GPU_ICD VK_ICD_FILENAMES=$NF_GPU_ICD
elif [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  icd=
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd*.json /usr/share/vulkan/icd.d/nvidia_icd*.json \
           /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json \
           /usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd*.json; do
    [ -f "$f" ] && { icd=$f; break; }
  done
  [ -n "$icd" ] || icd=$(find /usr/local/nvidia /usr/share/vulkan /etc/vulkan /usr/local/share /opt -maxdepth 6 -name 'nvidia_icd*.json' 2>/dev/null | head -n 1 || true)
  if [ -z "$icd" ]; then
    # No json but the driver's Vulkan library is there (some container runtimes mount only libraries):
    # write the json NVIDIA ships.
    glx=$(grep -m1 'libGLX_nvidia\.so\.0 ' <<<"$nf_ldcache" | sed 's/.*=> //' || true)
    [ -n "$glx" ] || glx=$(ls /usr/local/nvidia/lib64/libGLX_nvidia.so.0 /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 2>/dev/null | head -n 1 || true)
    if [ -n "$glx" ]; then
      icd=$NF_GPU_DIR/nvidia_icd.json
      printf '{"file_format_version": "1.0.1", "ICD": {"library_path": "%s", "api_version": "1.3.0"}}\n' "$glx" >"$icd"
    fi
  fi
  if [ -n "$icd" ]; then
    export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
    nf_log "Vulkan driver: $icd"
  else
    nf_log "no NVIDIA Vulkan driver found: Vulkan uses whatever drivers this machine lists (lavapipe here, if installed)"
  fi
fi

# Prints the WebGPU adapter that Dawn picks (and the NVIDIA GPUs, where nvidia-smi exists).
nf_gpu_adapter() {
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >&2 || true
  "$NF_NODE" "$NF_REPO/scripts/gpu/adapter.mjs" >&2 || true
}
