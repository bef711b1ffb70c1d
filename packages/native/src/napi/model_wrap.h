// The JS `Model` object (NativeModel in lib/types.ts) around a tfbench::Model.
#pragma once

#include <napi.h>

#include <memory>

#include "models/model.h"

namespace tfbench {
namespace js {

// Defines the class (not exported: JS gets instances from buildModel only). Call once from Init().
void define_model_class(Napi::Env env);
// A new JS Model owning `model`.
Napi::Object wrap_model(Napi::Env env, std::shared_ptr<Model> model);

}  // namespace js
}  // namespace tfbench
