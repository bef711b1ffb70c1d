#include "napi/spec_reader.h"

#include "models/families.h"
#include "napi/fields.h"

namespace tfbench {
namespace js {
namespace {

class FieldsSpecReader final : public SpecReader {
 public:
  explicit FieldsSpecReader(const Napi::Object& spec) : fields_(spec, "spec", "BAD_SPEC") {}

  std::string one_of(const char* field, std::initializer_list<const char*> allowed) const override {
    return fields_.one_of(field, allowed);
  }
  bool boolean(const char* field) const override { return fields_.boolean(field); }
  double number(const char* field, double min) const override { return fields_.number(field, min); }
  int64_t integer(const char* field, int64_t min) const override { return fields_.integer(field, min); }

 private:
  Fields fields_;
};

}  // namespace

ModelBuilder model_builder_from_js(const Napi::Object& spec) { return read_model_spec(FieldsSpecReader(spec)); }

}  // namespace js
}  // namespace tfbench
