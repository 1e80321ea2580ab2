#!/usr/bin/env bash
# On a machine with a real GPU: unpacks .gpu-bundle/winoconv-gpu.tar.xz (scripts/gpu-machine/bundle.sh), finds the
# Vulkan loader and driver, and runs, with the bundled Node on Dawn: `winoconv info`, the GPU suite
# (`winoconv gpu-test`), conformance (shared and the repo's float16 cases), and the benchmark with int8 and float16 rows. Everything goes to $OUT (default
# ./gpu-results/<adapter>): JSON results and logs. One command, from the repo root:
#   bash scripts/gpu-machine/run.sh [--quick]
set -uo pipefail
cd "$(dirname "$0")/../.."
quick=${1:-}
bundle=.gpu-bundle/winoconv-gpu.tar.xz
[ -f "$bundle" ] || { echo "run.sh: $bundle missing: build it with scripts/gpu-machine/bundle.sh on a machine with npm" >&2; exit 1; }
root=$(mktemp -d /tmp/winoconv-gpu.XXXXXX)
xz -dc "$bundle" | tar -C "$root" -xf -
[ -e node_modules ] || ln -s "$root/node_modules" node_modules
export PATH="$root/bin:$PATH"
# Vulkan loader: unpack carried Debian packages (see the device README) when the system has none.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# Driver: the NVIDIA ICD where the container mounts it; otherwise the loader's own search.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
done
export WINOCONV_VULKAN_DRIVER=${WINOCONV_VULKAN_DRIVER:-system}
export WINOCONV_CONFORMANCE_DIR="$root/conformance"
node --version
node bin/winoconv.js info --json > "$root/info.json" || { echo "run.sh: no WebGPU adapter through Dawn" >&2; cat "$root/info.json"; exit 1; }
adapter=$(node -e 'const i=require(require("path").resolve(process.argv[1])); console.log(`${i.vendor}-${i.architecture}`.replace(/[^A-Za-z0-9._-]+/g,"-"))' "$root/info.json")
out=${OUT:-gpu-results/$adapter}
mkdir -p "$out"
cp "$root/info.json" "$out/info.json"
echo "adapter: $adapter -> $out"
status=0
node bin/winoconv.js gpu-test --json "$out/gpu-test.json" > "$out/gpu-test.log" 2>&1 || status=1
tail -1 "$out/gpu-test.log"
node bin/winoconv.js conformance "$root/conformance" --json > "$out/conformance.json" 2> "$out/conformance.log" || status=1
node -e 'const r=require(require("path").resolve(process.argv[1])); const n=(s)=>r.filter(x=>x.status===s).length; console.log(`conformance: ${n("pass")} passed, ${n("fail")+n("error")} failed, ${n("n/a")} n/a`)' "$out/conformance.json"
# The repo's own cases (float16, ONNX Runtime CPU expected outputs).
node bin/winoconv.js conformance test/conformance/cases --json > "$out/conformance-repo.json" 2> "$out/conformance-repo.log" || status=1
node -e 'const r=require(require("path").resolve(process.argv[1])); const n=(s)=>r.filter(x=>x.status===s).length; console.log(`conformance (repo, float16): ${n("pass")} passed, ${n("fail")+n("error")} failed, ${n("n/a")} n/a`)' "$out/conformance-repo.json"
suite=resnet18; [ "$quick" = --quick ] && suite=smoke
node bin/winoconv.js bench --suite "$suite" --int8 --fp16 --json "$out/bench-$suite.json" > "$out/bench-$suite.txt" 2> "$out/bench-$suite.log" || status=1
cat "$out/bench-$suite.txt"
exit $status
