#!/usr/bin/env bash
# Builds .gpu-bundle/winoconv-gpu.tar.xz: what a machine with a real GPU but no Node, no browser and no registry
# needs to run winoconv's GPU suite, conformance and benchmark on Dawn (its Vulkan driver): this machine's Node
# binary and the few runtime packages (webgpu's Linux x64 Dawn build, tsx + esbuild, fraction.js, wgsl_reflect),
# plus the shared conformance cases. The repo's own files travel with the working tree. See README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu-bundle
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out" "$stage/node_modules" "$stage/bin" "$stage/conformance"
[ -d node_modules/webgpu ] || { echo "gpu-bundle: run npm ci first" >&2; exit 1; }
arch=$(node -p process.arch)
[ "$arch" = x64 ] || { echo "gpu-bundle: this machine is $arch; the GPU machines are x86-64: build the bundle on an x86-64 machine" >&2; exit 1; }
cp "$(command -v node)" "$stage/bin/node"
for p in tsx esbuild @esbuild/linux-x64 fraction.js wgsl_reflect debug ms @webgpu/types; do
  mkdir -p "$stage/node_modules/$(dirname "$p")"
  cp -R "node_modules/$p" "$stage/node_modules/$p"
done
mkdir -p "$stage/node_modules/webgpu/dist"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/types.d.ts "$stage/node_modules/webgpu/"
cp -R node_modules/webgpu/dist/linux-x64 "$stage/node_modules/webgpu/dist/"
cases=${WINOCONV_CONFORMANCE_DIR:-../shared/conformance/cases}
if [ -d "$cases" ]; then cp "$cases"/*.json "$stage/conformance/"; else echo "gpu-bundle: no conformance cases at $cases (skipped)" >&2; fi
echo "gpu-bundle: compressing ($(du -sh "$stage" | cut -f1) before xz) ..." >&2
tar -C "$stage" -cf - . | xz -T0 -6 > "$out/winoconv-gpu.tar.xz"
ls -la "$out/winoconv-gpu.tar.xz"
