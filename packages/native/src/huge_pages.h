// Transparent huge pages for large CPU tensors that are streamed front to back: a model's weights, and the buffers
// of the memory-bandwidth probe that stands for them.
#pragma once

#include <ATen/ATen.h>

namespace tfbench {

// Asks Linux to back the 2 MiB-aligned interior of a CPU tensor of 4 MiB or more with 2 MiB pages (madvise
// MADV_HUGEPAGE). Call it before anything touches the tensor: pages already mapped keep 4 KiB. Advice only: where
// it is refused, or off Linux, or on another device, nothing changes.
void advise_huge_pages(const at::Tensor& t);

}  // namespace tfbench
