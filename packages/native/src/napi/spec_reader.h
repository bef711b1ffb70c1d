// The spec object JS passes to buildModel (NativeModelSpec in lib/types.ts), read by its family's reader
// (models/families.h) through js::Fields.
#pragma once

#include <napi.h>

#include "models/model.h"

namespace tfbench {
namespace js {

// Reads and checks `spec` on the JS thread (BAD_SPEC naming the field); the builder runs on the compute thread.
ModelBuilder model_builder_from_js(const Napi::Object& spec);

}  // namespace js
}  // namespace tfbench
