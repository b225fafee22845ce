// The kernel-name classifier on names as they appear in real PyTorch/Kineto traces.
#include "traces/op_class.hpp"

#include <gtest/gtest.h>

#include <set>

namespace moesim::traces {
namespace {

struct NameCase {
  const char* name;
  OpClass expected;
};

TEST(OpClass, ClassifiesRealKernelNames) {
  const NameCase cases[] = {
      {"sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_"
       "kernel__5x_cublas", OpClass::kGemm},
      {"nvjet_tst_128x256_64x4_2x1_v_bz_coopA_TNT", OpClass::kGemm},
      {"ampere_bf16_s16816gemm_bf16_256x128_ldg8_f2f_stages_64x3_tn", OpClass::kGemm},
      {"void cutlass::Kernel2<cutlass_80_wmma_tensorop_bf16_s161616gemm_bf16_16x16_128x2_tn_align8>(Params)",
       OpClass::kGemm},
      {"triton_tem_fused_mm_0", OpClass::kGemm},
      {"sm90_xmma_gemm_e4m3bf16_e4m3f32_f32_tn_n_tilesize128x128x128_cublas", OpClass::kGemmFp8},
      {"void deep_gemm::fp8_gemm_kernel<7168u, 4096u, 128u, 128u, 128u, 1u, 8u, 128u, 1u, 2u>(...)",
       OpClass::kGemmFp8},
      {"void deep_gemm::fp8_gemm_kernel<4096u, 7168u, 128u, 160u, 128u, 32u, 8u, 128u, 2u, 2u, "
       "(deep_gemm::GemmType)1>(__nv_bfloat16*, float*, int*, unsigned int, CUtensorMap, CUtensorMap)",
       OpClass::kGemmFp8},
      {"void deep_gemm::m_grouped_fp8_gemm_nt_contiguous_kernel<...>", OpClass::kGroupedGemmFp8},
      {"void cutlass::device_kernel<cutlass::gemm::kernel::GemmUniversal<cutlass::gemm::GroupProblemShape<"
       "cute::tuple<int, int, int> >, cutlass::gemm::collective::GroupedGemm<cutlass::bfloat16_t>>>(Params)",
       OpClass::kGroupedGemm},
      {"void cutlass::device_kernel<GroupedGemmKernel<cutlass::float_e4m3_t, cutlass::float_e4m3_t>>(Params)",
       OpClass::kGroupedGemmFp8},
      {"fused_moe_kernel", OpClass::kGroupedGemm},
      {"flash_fwd_kernel", OpClass::kAttentionFwd},
      {"void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128, 128, 64, 4, false, false, "
       "cutlass::bfloat16_t>, false, true, false, false, true, true, false, false>(Flash_fwd_params)",
       OpClass::kAttentionFwd},
      {"void cutlass::device_kernel<flash::FlashAttnFwdSm90<...>>(Params)", OpClass::kAttentionFwd},
      {"fmha_cutlassF_bf16_aligned_64x64_rf_sm80(PyTorchMemEffAttention::AttentionKernel<...>::Params)",
       OpClass::kAttentionFwd},
      {"void pytorch_flash::flash_bwd_dq_dk_dv_loop_seqk_parallel_kernel<...>(Flash_bwd_params)",
       OpClass::kAttentionBwd},
      {"cudnn_generated_fort_native_sdpa_sm90_flash_bprop_wgmma_f16_knob_3_128x128x128_4x1x1", OpClass::kAttentionBwd},
      {"flash::flash_fwd_splitkv_mla_kernel", OpClass::kMlaDecode},
      {"void flash::flash_fwd_splitkv_mla_kernel<Flash_fwd_kernel_traits_mla<576, 64, 64, 8, "
       "cutlass::bfloat16_t, 512>, true, SharedStorageMLA<...>>(Flash_fwd_mla_params)", OpClass::kMlaDecode},
      {"void flash::flash_fwd_mla_combine_kernel<cutlass::bfloat16_t, 512, 64>(Flash_fwd_mla_params)",
       OpClass::kMlaDecode},
      {"deep_ep::intranode::dispatch", OpClass::kEpDispatch},
      {"void deep_ep::internode::dispatch<false, 8, 768, 1, 32>(int4*, float*, ...)", OpClass::kEpDispatch},
      {"void deep_ep::internode_ll::combine<7168>(void*, void*, int*, ...)", OpClass::kEpCombine},
      {"void deep_ep::intranode::notify_dispatch<8>(int const*, int*, int, int const*, int*, int)",
       OpClass::kEpNotify},
      {"void deep_ep::intranode::cached_notify_combine<8>(void**, int*, int, int, int**, int)", OpClass::kEpNotify},
      {"notify_dispatch", OpClass::kEpNotify},
      {"ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)", OpClass::kNcclAllReduce},
      {"ncclKernel_AllGather_RING_LL_Sum_int8_t(ncclDevComm*, unsigned long, ncclWork*)", OpClass::kNcclAllGather},
      {"ncclDevKernel_ReduceScatter_Sum_f32_RING_LL(ncclDevKernelArgsStorage<4096ul>)", OpClass::kNcclReduceScatter},
      {"ncclDevKernel_SendRecv(ncclDevKernelArgsStorage<4096ul>)", OpClass::kNcclSendRecv},
      {"ncclDevKernel_Broadcast_RING_LL(ncclDevKernelArgsStorage<4096ul>)", OpClass::kNcclOther},
      {"void (anonymous namespace)::rms_norm_kernel<c10::BFloat16, float>(...)", OpClass::kNorm},
      {"void at::native::(anonymous namespace)::vectorized_layer_norm_kernel<c10::BFloat16, float>(...)",
       OpClass::kNorm},
      {"triton_red_fused__to_copy_add_mean_mul_pow_rsqrt_0", OpClass::kNorm},
      {"void vllm::rotary_embedding_kernel<c10::BFloat16, true>(...)", OpClass::kRope},
      {"void vllm::act_and_mul_kernel<c10::BFloat16, &vllm::silu_kernel<c10::BFloat16>, true>(...)",
       OpClass::kActivation},
      {"void at::native::vectorized_elementwise_kernel<4, at::native::(anonymous namespace)::silu_kernel("
       "at::TensorIteratorBase&)::{lambda()#1}::operator()() const>(...)", OpClass::kActivation},
      {"void per_token_group_quant_8bit_kernel<c10::BFloat16, c10::Float8_e4m3fn>(...)", OpClass::kCast},
      {"triton_poi_fused__to_copy_3", OpClass::kCast},
      {"void at::native::(anonymous namespace)::cunn_SoftMaxForward<4, float, float, float>(...)",
       OpClass::kReduction},
      {"void at::native::reduce_kernel<512, 1, at::native::ReduceOp<float, at::native::MeanOps<float>>>(...)",
       OpClass::kReduction},
      {"void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctor_add<c10::BFloat16>, "
       "std::array<char*, 3ul> >(int, at::native::CUDAFunctor_add<c10::BFloat16>, std::array<char*, 3ul>)",
       OpClass::kElementwise},
      {"at::native::vectorized_elementwise_kernel", OpClass::kElementwise},
      {"triton_poi_fused_add_mul_0", OpClass::kElementwise},
      {"Memcpy HtoD (Pinned -> Device)", OpClass::kMemcpy},
      {"Memset (Device)", OpClass::kMemset},
      {"my_custom_kernel_v2", OpClass::kOther},
  };
  for (const NameCase& c : cases) {
    EXPECT_EQ(op_class_name(classify_kernel(c.name)), op_class_name(c.expected)) << c.name;
  }
}

TEST(OpClass, ActivityKindWinsOverName) {
  EXPECT_EQ(classify_kernel("whatever", ActivityKind::kMemcpy), OpClass::kMemcpy);
  EXPECT_EQ(classify_kernel("gemm", ActivityKind::kMemset), OpClass::kMemset);
}

TEST(OpClass, DispatchMatchesOnlyAsWholeWordOutsideDeepEp) {
  EXPECT_EQ(classify_kernel("dispatcher_warmup"), OpClass::kOther);
  EXPECT_EQ(classify_kernel("notify"), OpClass::kEpNotify);
  EXPECT_EQ(classify_kernel("dispatch"), OpClass::kEpDispatch);
  EXPECT_EQ(classify_kernel("void combine<float>(float*)"), OpClass::kEpCombine);
}

TEST(OpClass, NamesAreUniqueAndCommunicationIsOnlyCommKernels) {
  std::set<std::string> names;
  for (OpClass c : all_op_classes()) names.insert(op_class_name(c));
  EXPECT_EQ(names.size(), all_op_classes().size());
  EXPECT_TRUE(is_communication(OpClass::kEpDispatch));
  EXPECT_TRUE(is_communication(OpClass::kNcclSendRecv));
  EXPECT_FALSE(is_communication(OpClass::kGemm));
  EXPECT_FALSE(is_communication(OpClass::kMemcpy));
}

}  // namespace
}  // namespace moesim::traces
