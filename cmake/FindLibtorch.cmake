# Finds libtorch and defines the imported target `tfbench::libtorch`.
#
# Search order (first hit wins), the same as the runtime loader's (packages/native/lib/libtorch.ts) and README's:
#   1. LIBTORCH   (environment or -DLIBTORCH=...): a libtorch directory (with share/cmake/Torch) or a CMake prefix;
#                 when it is set nothing else is looked at
#   2. the system libtorch (Debian/Ubuntu `libtorch-dev`: headers in /usr/include, libraries where the dynamic linker
#      looks, no TorchConfig.cmake)
#   3. the torch package of python3: the python3 on PATH, then /usr/bin/python3
#      (python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
# The system's comes before python3's as at run time, where a prebuilt addon loads the libtorch on the linker's
# path without preloading it; a PyTorch of python3's (a CUDA build, say) is taken over it by setting LIBTORCH.
#
# Sets: LIBTORCH_SOURCE (which of the three), LIBTORCH_VERSION, LIBTORCH_HAS_CUDA (ON/OFF), LIBTORCH_OPENMP (ON when
# libtorch's intra-op threads are OpenMP's, from ATen/Config.h's AT_PARALLEL_OPENMP).

set(_tfb_hint "Install libtorch in one of three ways: (1) set LIBTORCH to an unpacked libtorch directory \
(https://pytorch.org, 'LibTorch' download) or any CMake prefix containing TorchConfig.cmake; (2) on \
Debian/Ubuntu: sudo apt-get install libtorch-dev (in the tfbench repository: sh scripts/setup-system.sh); (3) make \
the python3 on PATH import torch (pip install torch).")

function(_tfb_use_torch_config prefix source)
  find_package(Torch CONFIG QUIET PATHS "${prefix}" "${prefix}/share/cmake" NO_DEFAULT_PATH)
  if(Torch_FOUND)
    add_library(tfbench::libtorch INTERFACE IMPORTED GLOBAL)
    # The `torch` target carries torch_cuda with --no-as-needed; hand-listed libraries would lose it.
    target_link_libraries(tfbench::libtorch INTERFACE torch)
    if(TORCH_CXX_FLAGS)
      separate_arguments(_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
      target_compile_options(tfbench::libtorch INTERFACE ${_flags})
    endif()
    set(LIBTORCH_SOURCE "${source} (${prefix})" PARENT_SCOPE)
    set(LIBTORCH_VERSION "${Torch_VERSION}" PARENT_SCOPE)
    if(TARGET torch_cuda OR TARGET torch_cuda_library OR CAFFE2_USE_CUDA OR USE_CUDA)
      set(LIBTORCH_HAS_CUDA ON PARENT_SCOPE)
    else()
      set(LIBTORCH_HAS_CUDA OFF PARENT_SCOPE)
    endif()
    _tfb_parallel_backend("${TORCH_INCLUDE_DIRS}")
    set(LIBTORCH_OPENMP "${LIBTORCH_OPENMP}" PARENT_SCOPE)
    set(_tfb_found TRUE PARENT_SCOPE)
  endif()
endfunction()

# LIBTORCH_OPENMP: ON when ATen/Config.h (under one of `include_dirs`) defines AT_PARALLEL_OPENMP 1.
function(_tfb_parallel_backend include_dirs)
  set(LIBTORCH_OPENMP OFF)
  foreach(_tfb_dir IN LISTS include_dirs)
    if(EXISTS "${_tfb_dir}/ATen/Config.h")
      file(READ "${_tfb_dir}/ATen/Config.h" _tfb_ctext)
      if(_tfb_ctext MATCHES "#define AT_PARALLEL_OPENMP 1")
        set(LIBTORCH_OPENMP ON)
      endif()
      break()
    endif()
  endforeach()
  set(LIBTORCH_OPENMP "${LIBTORCH_OPENMP}" PARENT_SCOPE)
endfunction()

set(_tfb_found FALSE)

# 1. LIBTORCH
if(NOT LIBTORCH AND DEFINED ENV{LIBTORCH})
  set(LIBTORCH "$ENV{LIBTORCH}")
endif()
if(LIBTORCH)
  _tfb_use_torch_config("${LIBTORCH}" "LIBTORCH")
  if(NOT _tfb_found)
    message(FATAL_ERROR "LIBTORCH is set to '${LIBTORCH}' but no TorchConfig.cmake was found there "
      "(looked in it and in its share/cmake). ${_tfb_hint}")
  endif()
endif()

# 2. system libtorch (Debian's libtorch-dev ships headers and libraries but no TorchConfig.cmake)
if(NOT _tfb_found)
  find_path(_tfb_torch_api_inc torch/torch.h PATH_SUFFIXES torch/csrc/api/include)
  find_path(_tfb_torch_inc torch/csrc/api/include/torch/torch.h)
  find_library(_tfb_lib_torch torch)
  find_library(_tfb_lib_torch_cpu torch_cpu)
  find_library(_tfb_lib_c10 c10)
  if(_tfb_torch_api_inc AND _tfb_torch_inc AND _tfb_lib_torch AND _tfb_lib_torch_cpu AND _tfb_lib_c10)
    add_library(tfbench::libtorch INTERFACE IMPORTED GLOBAL)
    target_include_directories(tfbench::libtorch INTERFACE "${_tfb_torch_inc}" "${_tfb_torch_api_inc}")
    # torch_cpu registers its operators in static initialisers: keep it even if no symbol is referenced.
    target_link_libraries(tfbench::libtorch INTERFACE
      "-Wl,--no-as-needed" "${_tfb_lib_torch}" "${_tfb_lib_torch_cpu}" "-Wl,--as-needed" "${_tfb_lib_c10}")
    set(LIBTORCH_SOURCE "system (${_tfb_lib_torch})")
    set(LIBTORCH_HAS_CUDA OFF)
    set(LIBTORCH_VERSION "")
    find_file(_tfb_version_h torch/version.h PATHS "${_tfb_torch_inc}" "${_tfb_torch_api_inc}" NO_DEFAULT_PATH)
    if(_tfb_version_h)
      file(READ "${_tfb_version_h}" _tfb_vtext)
      string(REGEX MATCH "TORCH_VERSION_MAJOR ([0-9]+)" _ "${_tfb_vtext}")
      set(_maj "${CMAKE_MATCH_1}")
      string(REGEX MATCH "TORCH_VERSION_MINOR ([0-9]+)" _ "${_tfb_vtext}")
      set(_min "${CMAKE_MATCH_1}")
      string(REGEX MATCH "TORCH_VERSION_PATCH ([0-9]+)" _ "${_tfb_vtext}")
      set(LIBTORCH_VERSION "${_maj}.${_min}.${CMAKE_MATCH_1}")
    endif()
    _tfb_parallel_backend("${_tfb_torch_inc}")
    set(_tfb_found TRUE)
  endif()
endif()

# 3. python3's torch: the python3 on PATH, then /usr/bin/python3 (Debian's python3-torch belongs to it, while a
#    venv or pyenv may come first on PATH)
if(NOT _tfb_found)
  find_program(_tfb_python3 python3)
  foreach(_tfb_python IN ITEMS "${_tfb_python3}" /usr/bin/python3)
    if(NOT _tfb_found AND _tfb_python AND EXISTS "${_tfb_python}")
      execute_process(
        COMMAND "${_tfb_python}" -c "import torch, sys; sys.stdout.write(torch.utils.cmake_prefix_path)"
        OUTPUT_VARIABLE _tfb_py_prefix RESULT_VARIABLE _tfb_py_rc ERROR_QUIET)
      if(_tfb_py_rc EQUAL 0 AND EXISTS "${_tfb_py_prefix}")
        _tfb_use_torch_config("${_tfb_py_prefix}" "python3 torch")
      endif()
    endif()
  endforeach()
endif()

if(NOT _tfb_found)
  message(FATAL_ERROR "libtorch not found. ${_tfb_hint}")
endif()
message(STATUS "tfbench: libtorch ${LIBTORCH_VERSION} from ${LIBTORCH_SOURCE}, CUDA: ${LIBTORCH_HAS_CUDA}, "
  "OpenMP: ${LIBTORCH_OPENMP}")
