// Numeric formats moesim reasons about, with their storage cost including block-scale overhead.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace moesim::models {

// A number format for weights, activations, KV cache or communication.
enum class DType { kFp32, kBf16, kFp16, kFp8, kInt4, kFp4 };

std::string_view to_string(DType dtype);
// Accepts the lower-case names users type: fp32, bf16, fp16, fp8, int4, fp4.
std::optional<DType> parse_dtype(std::string_view name);

// Bytes per element of the raw values, without scales (fp8 = 1, int4/fp4 = 0.5).
double element_bytes(DType dtype);

// Bytes per element of a stored weight matrix, including the block scales of the layout moesim uses:
//   fp8  E4M3 with one fp32 scale per 128x128 block (DeepSeek-V3's released format),
//   int4 with one bf16 scale per group of 128,
//   fp4  with one fp8 scale per block of 16 (NVFP4).
double weight_bytes_per_element(DType dtype);

}  // namespace moesim::models
