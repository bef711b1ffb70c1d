#!/bin/sh
# Checks the addon's CUDA paths (TFBENCH_WITH_CUDA) on a machine without a GPU or CUDA toolkit:
#   1. fetches a CUDA build of PyTorch 2.x and the CUDA headers from Debian's archive (trixie: libtorch-cuda-dev and
#      libtorch-cuda-2.6 from contrib, nvidia-cuda-dev and libcudart12 from non-free) into a cache directory,
#      unpacked with dpkg-deb, never installed;
#   2. compiles every packages/native/src/**/*.cc with the definitions CMakeLists.txt gives plus TFBENCH_WITH_CUDA=1
#      against those headers;
#   3. checks that every symbol the objects import is exported by that libtorch (torch, torch_cpu, torch_cuda, c10,
#      c10_cuda), libcudart, the OpenMP runtime libtorch_cpu needs, or the C/C++ runtime; Node-API symbols come
#      from Node at load time, weak ones may stay unset.
# Needs curl, dpkg-deb, xz, g++ (C++17), nm, awk and about 3.5 GiB in the cache (the CUDA headers come in a 0.9 GiB
# package). Not part of `pnpm test`: it downloads. It shows the CUDA code builds against PyTorch 2.x; running it needs a GPU.
#
# Usage: sh scripts/check-cuda-compile.sh [CACHE_DIR]     (default: ${XDG_CACHE_HOME:-~/.cache}/tfbench/cuda-check)
# Env: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SUITE (default trixie), JOBS (default nproc).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/tfbench/cuda-check}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-trixie}
jobs=${JOBS:-$(nproc)}
mkdir -p "$cache/debs" "$cache/root" "$cache/obj"
cd "$cache"

for tool in curl dpkg-deb xz g++ nm awk; do
  command -v "$tool" >/dev/null || { echo "check-cuda-compile: needs $tool on PATH" >&2; exit 2; }
done

# The suite's package index of one component (fetched once, then cached); prints its file name.
package_index() {  # component
  file="Packages-$suite-$1"
  [ -s "$file" ] || curl -fsS "$mirror/dists/$suite/$1/binary-amd64/Packages.xz" | xz -dc > "$file"
  echo "$file"
}

# One field of a package's entry in that index (Filename: its pool path; Depends: what it needs).
package_field() {  # component package field
  awk -v want="$2" -v field="$3:" '/^Package: /{p=$2} p==want && $1==field {sub(/^[^ ]+ /, ""); print; exit}' \
    "$(package_index "$1")"
}

fetch() {  # component package [tar members to unpack...]
  component=$1 package=$2
  shift 2
  path=$(package_field "$component" "$package" Filename)
  [ -n "$path" ] || { echo "check-cuda-compile: $package not found in $suite/$component" >&2; exit 1; }
  deb="debs/$(basename "$path")"
  if [ ! -s "$deb" ]; then
    echo "fetching $package ($path)"
    curl -fsS -o "$deb.part" "$mirror/$path" && mv "$deb.part" "$deb"
  fi
  stamp="root/.$(basename "$path").unpacked"
  if [ ! -e "$stamp" ]; then
    if [ $# -eq 0 ]; then dpkg-deb -x "$deb" root; else dpkg-deb --fsys-tarfile "$deb" | tar -x -C root --wildcards "$@"; fi
    touch "$stamp"
  fi
}

fetch contrib libtorch-cuda-dev
# The libraries libtorch-cuda-dev is built for (libtorch-cuda-2.6 in trixie), named by its Depends.
fetch contrib "$(package_field contrib libtorch-cuda-dev Depends | grep -o 'libtorch-cuda-[0-9][0-9.]*' | head -1)"
fetch non-free libcudart12
fetch non-free nvidia-cuda-dev './usr/include/*'

inc=$cache/root/usr/include
lib=$cache/root/usr/lib/x86_64-linux-gnu
version=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH)/{printf "%s%s", sep, $3; sep="."}' "$inc/torch/csrc/api/include/torch/version.h")
cuda=$(awk '/define CUDA_VERSION /{print int($3/1000) "." int($3%1000/10)}' "$inc/cuda.h")
echo "libtorch $version (CUDA build, $suite), CUDA headers $cuda"
grep -q '#define AT_PARALLEL_OPENMP 1' "$inc/ATen/Config.h" ||
  { echo "check-cuda-compile: this libtorch is not built with OpenMP; compile without -fopenmp" >&2; exit 1; }

napi=$(ls -d "$repo"/node_modules/.pnpm/node-addon-api@*/node_modules/node-addon-api | tail -1)
napi_headers=$(ls -d "$repo"/node_modules/.pnpm/node-api-headers@*/node_modules/node-api-headers/include | tail -1)
[ -d "$napi" ] && [ -d "$napi_headers" ] || { echo "check-cuda-compile: run pnpm install first (node-addon-api)" >&2; exit 2; }

# The compile line of CMakeLists.txt, with TFBENCH_WITH_CUDA as its LIBTORCH_HAS_CUDA branch sets it and -fopenmp as
# its LIBTORCH_OPENMP branch does (this libtorch's ATen/Config.h was checked for AT_PARALLEL_OPENMP above).
cat > compile.sh <<EOF
#!/bin/sh
src=\$1
obj="$cache/obj/\$(echo "\$src" | tr / _).o"
if g++ -std=c++17 -O0 -c -o "\$obj" -Wall -Wno-unused-parameter -fopenmp -D_GLIBCXX_USE_CXX11_ABI=1 \\
    -DTFBENCH_WITH_CUDA=1 -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED -DNAPI_CPP_EXCEPTIONS \\
    -DTFBENCH_LIBTORCH_SOURCE='"check-cuda-compile"' \\
    -I"$repo/packages/native/src" -isystem "$inc" -isystem "$inc/torch/csrc/api/include" \\
    -isystem "$napi" -isystem "$napi_headers" "$repo/packages/native/src/\$src" 2> "\$obj.log"; then
  [ -s "\$obj.log" ] && cat "\$obj.log"
  echo "compiled \$src"
else
  cat "\$obj.log"
  echo "FAILED   \$src"
  exit 1
fi
EOF
rm -f obj/*.o
status=0
(cd "$repo/packages/native/src" && find . -name '*.cc' | sed 's|^\./||' | sort) |
  xargs -P "$jobs" -n 1 sh compile.sh || status=1
[ $status -eq 0 ] || { echo "check-cuda-compile: compile errors against libtorch $version (above)" >&2; exit 1; }

# Imports the objects leave open, minus what they define among themselves, what the libraries export and what the
# linker itself provides (_GLOBAL_OFFSET_TABLE_, __dso_handle).
for so in "$lib"/libtorch.so.* "$lib"/libtorch_cpu.so.* "$lib"/libtorch_cuda.so.* "$lib"/libc10.so.* \
          "$lib"/libc10_cuda.so.* "$lib"/libcudart.so.* "$(g++ -print-file-name=libstdc++.so.6)" \
          "$(g++ -print-file-name=libgomp.so.1)" \
          /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1; do
  readlink -f "$so"
done | sort -u | while read -r so; do nm -D --defined-only "$so" | awk '{print $NF}'; done | sed 's/@.*//' > exported.txt
nm --defined-only obj/*.o | awk 'NF>=3{print $NF}' >> exported.txt
sort -u -o exported.txt exported.txt
nm -u obj/*.o | awk '$1=="U"{print $2}' | sort -u > imported.txt
comm -23 imported.txt exported.txt | grep -v '^napi_\|^node_api_\|^_GLOBAL_OFFSET_TABLE_$\|^__dso_handle$' > unresolved.txt || true
cuda_imports=$(comm -12 imported.txt exported.txt | c++filt | grep -ci 'cuda' || true)
if [ -s unresolved.txt ]; then
  echo "check-cuda-compile: symbols libtorch $version does not export:" >&2
  c++filt < unresolved.txt >&2
  exit 1
fi
echo "ok: $(ls obj/*.o | wc -l) sources compile with TFBENCH_WITH_CUDA against libtorch $version + CUDA $cuda;" \
  "all $(wc -l < imported.txt) imported symbols resolve ($cuda_imports of them CUDA ones)"
