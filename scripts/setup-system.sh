#!/bin/sh
# Installs the system packages tfbench's native build needs, when they are missing.
#   Debian/Ubuntu: libtorch-dev (libtorch 1.13, CPU), libopenblas0-openmp (fast BLAS), cmake, g++, make.
#   Elsewhere: prints what to install and exits non-zero if the build cannot work.
# OpenBLAS is not optional in practice: with Debian's reference BLAS a BERT-base layer runs ~35x slower.
# Optional, installed where apt has it: chromium-headless-shell (Debian 12+), which the test of `tfbench report`
# renders the HTML page with; where there is none (Ubuntu ships Chromium as a snap) that test skips, saying why.
set -eu

packages="libtorch-dev libopenblas0-openmp cmake g++ make"
optional_packages="chromium-headless-shell"

# libtorch links libblas.so.3 and libopenblas.so.0, which Debian's alternatives point at one installed build.
# libopenblas0-pthread (pulled in by python3-numpy and others) outranks the OpenMP build (priority 100 vs 95),
# and its own thread pool then runs beside libtorch's OpenMP threads on the same cores: bert-base ran 3x slower.
# So the OpenMP build is made the active one where both are installed. tfbench also reads the BLAS it has
# loaded at run time and picks its thread default from it, so this is speed, not correctness.
activate_openmp_blas() {
  command -v update-alternatives >/dev/null 2>&1 || return 0
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  dir="/usr/lib/$multiarch/openblas-openmp"
  [ -d "$dir" ] || return 0
  changed=""
  for lib in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    name="$lib-$multiarch"
    [ -e "$dir/$lib" ] || continue
    current=$(update-alternatives --query "$name" 2>/dev/null | sed -n 's/^Value: //p')
    [ -n "$current" ] && [ "$current" != "$dir/$lib" ] || continue
    if [ "$(id -u)" -eq 0 ]; then as_root=""; elif command -v sudo >/dev/null 2>&1; then as_root="sudo"; else
      echo "tfbench setup: $name points at $current, not the OpenMP build; run as root: update-alternatives --set $name $dir/$lib" >&2
      continue
    fi
    $as_root update-alternatives --set "$name" "$dir/$lib" >/dev/null && changed="$changed $lib"
  done
  if [ -n "$changed" ]; then
    echo "tfbench setup: made OpenBLAS's OpenMP build the active$changed (the pthreads build would run its own thread pool beside libtorch's)"
  fi
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $p"
    fi
  done
  required_missing="$missing"
  for p in $optional_packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      # Worth an apt-get update only where apt knows the package, or when the update happens anyway.
      if [ -n "$required_missing" ] || apt-cache show "$p" >/dev/null 2>&1; then missing="$missing $p"; fi
    fi
  done
  if [ -z "$missing" ]; then
    echo "tfbench setup: system packages present ($packages)"
    activate_openmp_blas
    exit 0
  fi
  echo "tfbench setup: installing$missing (apt-get)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "tfbench setup: need root to install$missing; run as root: apt-get install -y$missing" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  available=""
  for p in $missing; do
    case " $optional_packages " in
      *" $p "*) if ! apt-cache show "$p" >/dev/null 2>&1; then
          echo "tfbench setup: $p is not in apt here (optional: the HTML report's rendering test will skip)"
          continue
        fi ;;
    esac
    available="$available $p"
  done
  missing="$available"
  if [ -z "$missing" ]; then activate_openmp_blas; exit 0; fi
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  echo "tfbench setup: installed$missing"
  activate_openmp_blas
  exit 0
fi

cat >&2 <<MSG
tfbench setup: this is not a Debian/Ubuntu system, so nothing was installed. The native build needs:
  - libtorch: set LIBTORCH to an unpacked LibTorch (https://pytorch.org) or make python3 import torch
  - cmake >= 3.18 and a C++17 compiler (g++ or clang++)
  - a fast BLAS (OpenBLAS or MKL) for CPU runs
MSG
if command -v cmake >/dev/null 2>&1 && { command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1; }; then
  exit 0
fi
exit 1
