#include "models/dtype.hpp"

namespace moesim::models {

std::string_view to_string(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return "fp32";
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
    case DType::kFp8: return "fp8";
    case DType::kInt4: return "int4";
    case DType::kFp4: return "fp4";
  }
  return "unknown";
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (DType d : {DType::kFp32, DType::kBf16, DType::kFp16, DType::kFp8, DType::kInt4, DType::kFp4}) {
    if (name == to_string(d)) return d;
  }
  return std::nullopt;
}

double element_bytes(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return 4.0;
    case DType::kBf16:
    case DType::kFp16: return 2.0;
    case DType::kFp8: return 1.0;
    case DType::kInt4:
    case DType::kFp4: return 0.5;
  }
  return 0.0;
}

double weight_bytes_per_element(DType dtype) {
  switch (dtype) {
    case DType::kFp8: return 1.0 + 4.0 / (128.0 * 128.0);
    case DType::kInt4: return 0.5 + 2.0 / 128.0;
    case DType::kFp4: return 0.5 + 1.0 / 16.0;
    default: return element_bytes(dtype);
  }
}

}  // namespace moesim::models
