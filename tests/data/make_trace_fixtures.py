#!/usr/bin/env python3
"""Writes the small trace fixtures in tests/data/ (deterministic; re-run to regenerate).

  kineto_small_step.json   PyTorch-profiler (Kineto) Chrome trace: 2 GPUs, compute + comm streams,
                           memcpy/memset, CPU ops, user_annotation ranges, flow and metadata events.
                           Expected summary numbers are worked out by hand in
                           tests/traces/trace_summary_test.cpp.
  chrome_array_format.json Chrome "JSON Array Format" (root is the event list), overlapping kernels.
  kineto_truncated.json    the first half of kineto_small_step.json (bad-input test).
  records_synthetic_h200.json  moesim kernel records tagged with op/dtype/shape, times from the
                           synthetic formula below (NOT a measurement; used to test `calibrate`).

  records_untagged.json is `moesim trace import tests/data/kineto_small_step.json --out
  tests/data/records_untagged.json` (run from the repository root).
  calibration_synthetic_h200.json is not written here: it is `moesim calibrate --records
  tests/data/records_synthetic_h200.json --out tests/data/calibration_synthetic_h200.json`.

Usage: python3 tests/data/make_trace_fixtures.py  (writes next to this script)
"""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_US = 5866034574117.945  # Kineto-style absolute microseconds with nanosecond decimals


def us(offset):
    """Timestamp string base+offset with exactly three decimals, as Kineto writes them."""
    return round(BASE_US + offset, 3)


def kernel(name, device, stream, start, dur, corr, grid=(132, 1, 1), block=(128, 1, 1)):
    return {"ph": "X", "cat": "kernel", "name": name, "pid": device, "tid": stream,
            "ts": us(start), "dur": dur,
            "args": {"External id": corr + 1000, "queued": 0, "device": device, "context": 1,
                     "stream": stream, "correlation": corr, "registers per thread": 168,
                     "shared memory": 0, "blocks per SM": 1.0, "warps per SM": 4.0,
                     "grid": list(grid), "block": list(block), "est. achieved occupancy %": 6}}


def small_step():
    ev = [
        {"name": "process_name", "ph": "M", "ts": us(-20), "pid": 0, "tid": 0, "args": {"name": "python3"}},
        {"ph": "X", "cat": "Trace", "ts": us(-20), "dur": 500, "pid": "Spans", "tid": "PyTorch Profiler",
         "name": "PyTorch Profiler (0)", "args": {"Op count": 0}},
        {"ph": "X", "cat": "user_annotation", "name": "ProfilerStep#3", "pid": 1234, "tid": 1234,
         "ts": us(-10), "dur": 400.0, "args": {"External id": 1}},
        {"ph": "X", "cat": "user_annotation", "name": "layer_0.attn", "pid": 1234, "tid": 1234,
         "ts": us(-9), "dur": 30.5, "args": {"External id": 2}},
        {"ph": "X", "cat": "user_annotation", "name": "layer_0.moe", "pid": 1234, "tid": 1234,
         "ts": us(25), "dur": 120, "args": {"External id": 3}},
        {"ph": "X", "cat": "user_annotation", "name": "layer_0.attn", "pid": 1234, "tid": 1234,
         "ts": us(150), "dur": 20.25, "args": {"External id": 4}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1234, "tid": 1234, "ts": us(-8), "dur": 12.5,
         "args": {"External id": 1001, "Sequence number": 7, "Fwd thread id": 0,
                  "Input Dims": [[4096, 7168], [7168, 1536]], "Input type": ["c10::BFloat16", "c10::BFloat16"]}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::_flash_attention_forward", "pid": 1234, "tid": 1234,
         "ts": us(150.5), "dur": 8, "args": {"External id": 1004}},
        {"ph": "X", "cat": "cpu_op", "name": "aten::copy_", "pid": 1234, "tid": 1234, "ts": us(200), "dur": 3,
         "args": {"External id": 1010}},
        {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1234, "tid": 1234,
         "ts": us(-7), "dur": 4.25, "args": {"External id": 1001, "cbid": 211, "correlation": 1}},
        {"ph": "s", "id": 1, "pid": 1234, "tid": 1234, "ts": us(-7), "cat": "ac2g", "name": "ac2g"},
        {"ph": "f", "id": 1, "pid": 0, "tid": 7, "ts": us(0), "cat": "ac2g", "name": "ac2g", "bp": "e"},
        # Device 0, stream 7: compute.
        kernel("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_"
               "execute_segment_k_off_kernel__5x_cublas", 0, 7, 0.0, 100.0, 1),
        kernel("void (anonymous namespace)::rms_norm_kernel<c10::BFloat16, float>(c10::BFloat16*, "
               "c10::BFloat16 const*, c10::BFloat16 const*, float, int, int)", 0, 7, 100.5, 10.0, 2),
        {"ph": "X", "cat": "gpu_memset", "name": "Memset (Device)", "pid": 0, "tid": 7, "ts": us(110.6),
         "dur": 0.4, "args": {"External id": 1003, "device": 0, "context": 1, "stream": 7,
                               "correlation": 3, "bytes": 4096, "memory bandwidth (GB/s)": 10.24}},
        kernel("void cutlass::device_kernel<cutlass::gemm::kernel::GroupedGemmUniversal<"
               "cutlass::float_e4m3_t, cutlass::float_e4m3_t, cutlass::bfloat16_t>>(Params)", 0, 7, 120.0, 100.0, 4),
        kernel("void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<192, 128, 64, 4, false, false, "
               "cutlass::bfloat16_t>, false, true, false, false, true, true, false, false>(Flash_fwd_params)",
               0, 7, 230.0, 60.25, 5),
        {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD (Pinned -> Device)", "pid": 0, "tid": 7,
         "ts": us(295), "dur": 2.0, "args": {"External id": 1010, "device": 0, "context": 1, "stream": 7,
                                             "correlation": 10, "bytes": 1048576,
                                             "memory bandwidth (GB/s)": 524.288}},
        # Device 0, streams 20 and 21: communication.
        kernel("void deep_ep::intranode::dispatch<8, 768, 8192>(int4*, float*, int*, long*, "
               "SourceMeta*, int4 const*, float const*, long const*)", 0, 20, 50.0, 100.0, 6, (24, 1, 1), (768, 1, 1)),
        kernel("ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)", 0, 20, 280.0, 40.0, 7,
               (16, 1, 1), (512, 1, 1)),
        kernel("void deep_ep::intranode::notify_dispatch<8>(int const*, int*, int, int const*, int*, int)",
               0, 21, 300.0, 5.0, 8, (9, 1, 1), (128, 1, 1)),
        {"ph": "X", "cat": "gpu_user_annotation", "name": "layer_0.attn", "pid": 0, "tid": 7,
         "ts": us(230), "dur": 60.25, "args": {"External id": 2}},
        # Device 1: its comm overlaps device 0's compute in time, which must not count.
        kernel("ncclDevKernel_AllGather_RING_LL(ncclDevKernelArgsStorage<4096ul>)", 1, 30, 0.0, 50.0, 9),
        kernel("void at::native::vectorized_elementwise_kernel<4, at::native::CUDAFunctorOnSelf_add<"
               "c10::BFloat16>, std::array<char*, 2ul> >(int, at::native::CUDAFunctorOnSelf_add<c10::BFloat16>, "
               "std::array<char*, 2ul>)", 1, 7, 400.0, 10.0, 11),
    ]
    return {
        "schemaVersion": 1,
        "deviceProperties": [
            {"id": 0, "name": "NVIDIA H200", "totalGlobalMem": 150754820096, "computeMajor": 9,
             "computeMinor": 0, "maxThreadsPerBlock": 1024, "maxThreadsPerMultiprocessor": 2048,
             "regsPerBlock": 65536, "warpSize": 32, "sharedMemPerBlock": 49152, "numSms": 132,
             "sharedMemPerMultiprocessor": 233472},
            {"id": 1, "name": "NVIDIA H200", "totalGlobalMem": 150754820096, "computeMajor": 9,
             "computeMinor": 0, "numSms": 132},
        ],
        "cupti_version": 26, "cuda_runtime_version": 12080, "cuda_driver_version": 12080,
        "distributedInfo": {"backend": "nccl", "rank": 0, "world_size": 2},
        "record_shapes": 1, "with_stack": 0,
        "trace_id": "5A3C1F7E0B2D4E6F",
        "displayTimeUnit": "ms",
        "baseTimeNanoseconds": 1700000000000000000,
        "traceName": "rank0.pt.trace.json",
        "traceEvents": ev,
    }


def array_format():
    ev = [
        {"ph": "X", "cat": "kernel", "name": "nvjet_tst_128x256_64x4_2x1_v_bz_coopA_TNT", "pid": 0, "tid": 7,
         "ts": 1000, "dur": 10, "args": {"device": 0, "stream": 7, "correlation": 1}},
        {"ph": "X", "cat": "kernel", "name": "triton_poi_fused_add_mul_0", "pid": 0, "tid": 7,
         "ts": 1005.0005, "dur": 10, "args": {"device": 0, "stream": 7, "correlation": 2}},
        {"ph": "X", "cat": "kernel", "name": "flash::flash_fwd_splitkv_mla_kernel", "pid": 0, "tid": 7,
         "ts": 1020, "dur": 5, "args": {"device": 0, "stream": 7, "correlation": 3}},
    ]
    return ev


# Synthetic kernel times for `calibrate` tests: t = max(F/(0.8*989e12), B/(0.85*4.8e12)) + 3 us,
# times a deterministic +-2 % wobble. The fitter should recover this within a few percent.
def synthetic_records():
    rng = random.Random(7)
    records = []
    t = 0
    def add(op, dtype, shape, flops, bytes_):
        nonlocal t
        base_s = max(flops / (0.8 * 989e12), bytes_ / (0.85 * 4.8e12)) + 3e-6
        for rep in range(5):
            dur_ns = int(round(base_s * 1e9 * (1 + rng.uniform(-0.02, 0.02))))
            tags = {"op": op, "dtype": dtype}
            tags.update({k: str(v) for k, v in shape.items()})
            records.append({"kind": "kernel", "name": "synthetic_" + op, "start_ns": t, "end_ns": t + dur_ns,
                            "device": 0, "stream": 7, "correlation_id": len(records) + 1,
                            "grid": [132, 1, 1], "block": [256, 1, 1], "bytes": 0, "tags": tags})
            t += dur_ns + 2000
    for m in (256, 1024, 4096, 16384):
        for n, k in ((4096, 4096), (7168, 2048), (1536, 7168)):
            add("gemm", "bf16", {"m": m, "n": n, "k": k}, 2.0 * m * n * k, 2.0 * (m * k + k * n + m * n))
    for g, m in ((8, 128), (32, 256), (64, 512), (256, 64)):
        n, k = 4096, 7168
        add("grouped_gemm", "bf16", {"groups": g, "m": m, "n": n, "k": k}, 2.0 * g * m * n * k,
            g * 2.0 * (m * k + k * n + m * n))
    return {"format": "moesim.kernel_records", "schema_version": 1,
            "source": "tests/data/make_trace_fixtures.py (synthetic, not a measurement)",
            "provenance": {"gpu": "h200", "gpu_name": "NVIDIA H200 (synthetic)", "gpu_family": "hopper",
                           "sm_count": "132", "tool": "make_trace_fixtures.py", "tool_version": "1",
                           "date": "2026-11-22", "driver": "none", "cuda": "none"},
            "records": records}


def write(name, doc, indent=None):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(doc, f, indent=indent)
        f.write("\n")


if __name__ == "__main__":
    write("kineto_small_step.json", small_step(), indent=1)
    write("chrome_array_format.json", array_format(), indent=1)
    write("records_synthetic_h200.json", synthetic_records(), indent=1)
    # The first half of the Kineto fixture: what an interrupted profiler run leaves behind.
    with open(os.path.join(HERE, "kineto_small_step.json")) as f:
        text = f.read()
    with open(os.path.join(HERE, "kineto_truncated.json"), "w") as f:
        f.write(text[: len(text) // 2])
