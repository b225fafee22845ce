// Kernel classification: which kind of work a GPU kernel does, decided from its (demangled) name by a
// table of name patterns (op_class.cpp). Used by `moesim trace summarize` and the calibration fitter.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "traces/kernel_record.hpp"

namespace moesim::traces {

enum class OpClass {
  kGemm,             // dense GEMM/GEMV in bf16/fp16/fp32 (cuBLAS xmma/nvjet, CUTLASS, Triton mm)
  kGemmFp8,          // dense GEMM with fp8 (e4m3/e5m2) operands, DeepGEMM
  kGroupedGemm,      // grouped / MoE GEMM (CUTLASS GroupedGemm, Triton fused_moe)
  kGroupedGemmFp8,   // grouped GEMM with fp8 operands (DeepGEMM m_grouped)
  kAttentionFwd,     // FlashAttention-style forward (prefill/training)
  kAttentionBwd,     // FlashAttention-style backward
  kMlaDecode,        // FlashMLA-style decode over a latent cache
  kEpDispatch,       // expert-parallel all-to-all dispatch (DeepEP)
  kEpCombine,        // expert-parallel all-to-all combine (DeepEP)
  kEpNotify,         // DeepEP layout/count exchange before dispatch/combine
  kNcclAllReduce,
  kNcclAllGather,
  kNcclReduceScatter,
  kNcclSendRecv,     // send/recv, all-to-all built from p2p
  kNcclOther,        // broadcast, reduce, anything else NCCL
  kNorm,             // RMSNorm / LayerNorm
  kRope,             // rotary position embedding
  kActivation,       // SiLU/GELU/SwiGLU (often fused with the gate multiply)
  kCast,             // dtype conversion and quantization
  kReduction,        // softmax, top-k, sorts, reductions
  kElementwise,      // everything else pointwise (adds, muls, copies, fills, gathers)
  kMemcpy,
  kMemset,
  kOther,
};

// Stable lower-case name used in JSON ("gemm_fp8", "ep_dispatch", ...).
std::string op_class_name(OpClass op_class);
// Every class in declaration order (for tables and tests).
const std::vector<OpClass>& all_op_classes();

// Communication kernels (EP dispatch/combine/notify, NCCL): the "comm" side of compute/comm overlap.
bool is_communication(OpClass op_class);

// Classifies by activity kind (memcpy/memset) and then by the first matching row of the name table.
OpClass classify_kernel(std::string_view name, ActivityKind kind = ActivityKind::kKernel);

}  // namespace moesim::traces
