#!/usr/bin/env python3
"""One DeepSeek-V3 decoder layer (MLA + MoE) in PyTorch, random weights, real shapes, for profiling.

Runs prefill (MLA in its MHA form, causal) and/or decode (MLA absorbed over the latent cache) through
PyTorch's own kernels, so the GPU activity is what a PyTorch deployment of the layer executes. Meant
to be recorded by moesim's CUPTI injection library, one phase per run so the phase tag is exact:

  CUDA_INJECTION64_PATH=build/profiler/cupti/libmoesim_cupti_inject.so \\
  MOESIM_PROFILE_OUT=prefill.json MOESIM_PROFILE_TAGS=phase=prefill,layer=moe \\
  python3 profiler/workloads/deepseek_v3_layer.py --phase prefill --tokens 4096

then `moesim trace import prefill.json --out prefill.records.json` (the Chrome trace is Kineto-shaped).
Alternatively `--kineto FILE` records the same run with torch.profiler instead (record_function
ranges per phase and op). `--experts` / `--scale` shrink the layer for smaller GPUs.
"""

import argparse
import dataclasses
import math
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the module must still import (py_compile, --help) where torch is absent
    torch = None
    F = None


@dataclasses.dataclass
class LayerConfig:
    """DeepSeek-V3 (671B) shapes for one MoE decoder layer."""

    hidden: int = 7168
    heads: int = 128
    q_lora_rank: int = 1536
    kv_lora_rank: int = 512
    qk_nope: int = 128
    qk_rope: int = 64
    v_head: int = 128
    routed_experts: int = 256
    shared_experts: int = 1
    top_k: int = 8
    groups: int = 8
    topk_groups: int = 4
    moe_inter: int = 2048
    routed_scaling: float = 2.5
    rms_eps: float = 1e-6
    rope_theta: float = 10000.0

    @property
    def qk_head(self):
        return self.qk_nope + self.qk_rope

    def shrunk(self, scale, experts):
        """Divides widths and heads by `scale` (keeping the rope/latent structure), keeps `experts`."""
        c = dataclasses.replace(self)
        if scale > 1:
            c.hidden = max(256, self.hidden // scale)
            c.heads = max(1, self.heads // scale)
            c.q_lora_rank = max(128, self.q_lora_rank // scale)
            c.moe_inter = max(128, self.moe_inter // scale)
        if experts:
            if experts % c.groups != 0:
                c.groups = math.gcd(experts, c.groups)
                c.topk_groups = max(1, min(c.topk_groups, c.groups // 2 or 1))
            c.routed_experts = experts
            c.top_k = min(c.top_k, experts)
        return c


def linear_weight(out_features, in_features, device, dtype, gen):
    w = torch.empty(out_features, in_features, device=device, dtype=torch.float32)
    w.uniform_(-1.0, 1.0, generator=gen).mul_(1.0 / math.sqrt(in_features))
    return w.to(dtype)


def rms_norm(x, weight, eps):
    variance = x.float().pow(2).mean(-1, keepdim=True)
    return (x.float() * torch.rsqrt(variance + eps)).to(x.dtype) * weight


def rope(x, positions, theta):
    """Rotary embedding on the last dimension (interleaved pairs), positions [..., tokens]."""
    half = x.shape[-1] // 2
    freqs = 1.0 / (theta ** (torch.arange(0, half, device=x.device, dtype=torch.float32) / half))
    angles = positions.float()[..., None] * freqs  # [..., tokens, half]
    while angles.dim() < x.dim():
        angles = angles.unsqueeze(-2)  # broadcast over heads
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x.float()[..., 0::2], x.float()[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)
    return out.to(x.dtype)


class Layer:
    """Weights and forward passes of one layer. Tensors are [batch, tokens, ...]."""

    def __init__(self, cfg, device, dtype, seed):
        gen = torch.Generator(device=device)
        gen.manual_seed(seed)
        w = lambda o, i: linear_weight(o, i, device, dtype, gen)  # noqa: E731
        self.cfg, self.dtype = cfg, dtype
        c = cfg
        self.attn_norm = torch.ones(c.hidden, device=device, dtype=dtype)
        self.ffn_norm = torch.ones(c.hidden, device=device, dtype=dtype)
        self.q_a = w(c.q_lora_rank, c.hidden)
        self.q_a_norm = torch.ones(c.q_lora_rank, device=device, dtype=dtype)
        self.q_b = w(c.heads * c.qk_head, c.q_lora_rank)
        self.kv_a = w(c.kv_lora_rank + c.qk_rope, c.hidden)
        self.kv_a_norm = torch.ones(c.kv_lora_rank, device=device, dtype=dtype)
        self.kv_b = w(c.heads * (c.qk_nope + c.v_head), c.kv_lora_rank)
        self.o = w(c.hidden, c.heads * c.v_head)
        self.gate = w(c.routed_experts, c.hidden).float()
        self.gate_bias = torch.zeros(c.routed_experts, device=device, dtype=torch.float32)
        self.experts_gate_up = torch.stack([w(2 * c.moe_inter, c.hidden) for _ in range(c.routed_experts)])
        self.experts_down = torch.stack([w(c.hidden, c.moe_inter) for _ in range(c.routed_experts)])
        shared = c.shared_experts * c.moe_inter
        self.shared_gate_up = w(2 * shared, c.hidden)
        self.shared_down = w(c.hidden, shared)
        # Absorbed-form views of kv_b: W_UK [heads, qk_nope, latent] and W_UV [heads, v_head, latent].
        kv_b = self.kv_b.view(c.heads, c.qk_nope + c.v_head, c.kv_lora_rank)
        self.w_uk = kv_b[:, : c.qk_nope, :].contiguous()
        self.w_uv = kv_b[:, c.qk_nope :, :].contiguous()

    # --- attention -------------------------------------------------------------------------------
    def query(self, x, positions):
        c = self.cfg
        q = F.linear(rms_norm(F.linear(x, self.q_a), self.q_a_norm, c.rms_eps), self.q_b)
        q = q.view(*x.shape[:-1], c.heads, c.qk_head)
        q_nope, q_pe = q.split([c.qk_nope, c.qk_rope], dim=-1)
        return q_nope, rope(q_pe, positions, c.rope_theta)

    def latent(self, x, positions):
        c = self.cfg
        kv = F.linear(x, self.kv_a)
        latent, k_pe = kv.split([c.kv_lora_rank, c.qk_rope], dim=-1)
        return rms_norm(latent, self.kv_a_norm, c.rms_eps), rope(k_pe, positions, c.rope_theta)

    def attention_prefill(self, x, positions):
        """MHA form: up-project the latent to per-head keys and values, causal SDPA."""
        c = self.cfg
        b, t = x.shape[:2]
        q_nope, q_pe = self.query(x, positions)
        latent, k_pe = self.latent(x, positions)
        kv = F.linear(latent, self.kv_b).view(b, t, c.heads, c.qk_nope + c.v_head)
        k_nope, v = kv.split([c.qk_nope, c.v_head], dim=-1)
        q = torch.cat([q_nope, q_pe], dim=-1).transpose(1, 2)
        k = torch.cat([k_nope, k_pe[:, :, None, :].expand(b, t, c.heads, c.qk_rope)], dim=-1).transpose(1, 2)
        o = F.scaled_dot_product_attention(q, k, v.transpose(1, 2), is_causal=True, scale=1.0 / math.sqrt(c.qk_head))
        return F.linear(o.transpose(1, 2).reshape(b, t, c.heads * c.v_head), self.o), latent, k_pe

    def attention_decode(self, x, positions, cache_latent, cache_pe):
        """Absorbed form: every head attends over the shared latent cache [b, ctx, 512 + 64]."""
        c = self.cfg
        b = x.shape[0]
        q_nope, q_pe = self.query(x, positions)  # [b, 1, h, 128], [b, 1, h, 64]
        latent, k_pe = self.latent(x, positions)
        cache_latent = torch.cat([cache_latent, latent], dim=1)
        cache_pe = torch.cat([cache_pe, k_pe], dim=1)
        q_abs = torch.einsum("bqhd,hdl->bhql", q_nope, self.w_uk).reshape(b, c.heads, c.kv_lora_rank)
        q_pe = q_pe.reshape(b, c.heads, c.qk_rope)
        scores = torch.bmm(q_abs, cache_latent.transpose(1, 2)) + torch.bmm(q_pe, cache_pe.transpose(1, 2))
        probs = torch.softmax(scores.float() / math.sqrt(c.qk_head), dim=-1).to(self.dtype)
        o_latent = torch.bmm(probs, cache_latent)  # [b, h, 512]
        o = torch.einsum("bhl,hvl->bhv", o_latent, self.w_uv).reshape(b, 1, c.heads * c.v_head)
        return F.linear(o, self.o)

    # --- MoE -------------------------------------------------------------------------------------
    def route(self, x2d):
        """Sigmoid scores, group-limited top-k with the correction bias (DeepSeek-V3)."""
        c = self.cfg
        scores = torch.sigmoid(F.linear(x2d.float(), self.gate))
        choice = scores + self.gate_bias
        grouped = choice.view(-1, c.groups, c.routed_experts // c.groups)
        group_scores = grouped.topk(min(2, grouped.shape[-1]), dim=-1).values.sum(-1)
        keep = torch.zeros_like(group_scores).scatter_(1, group_scores.topk(c.topk_groups, dim=-1).indices, 1.0)
        masked = grouped.masked_fill(keep[..., None] == 0, float("-inf")).view(-1, c.routed_experts)
        ids = masked.topk(c.top_k, dim=-1).indices
        weights = scores.gather(1, ids)
        weights = weights / weights.sum(-1, keepdim=True) * c.routed_scaling
        return ids, weights.to(x2d.dtype)

    def moe(self, x):
        c = self.cfg
        shape = x.shape
        x2d = x.reshape(-1, c.hidden)
        ids, weights = self.route(x2d)
        out = torch.zeros_like(x2d)
        flat = ids.flatten()
        order = flat.argsort()
        counts = torch.bincount(flat, minlength=c.routed_experts).tolist()  # one host sync, as in eager MoE
        token_of = order // c.top_k
        start = 0
        for expert, n in enumerate(counts):
            if n == 0:
                continue
            rows = token_of[start : start + n]
            slot = order[start : start + n]
            h = F.linear(x2d[rows], self.experts_gate_up[expert])
            gate, up = h.chunk(2, dim=-1)
            y = F.linear(F.silu(gate) * up, self.experts_down[expert])
            out.index_add_(0, rows, y * weights.flatten()[slot, None])
            start += n
        gate, up = F.linear(x2d, self.shared_gate_up).chunk(2, dim=-1)
        out += F.linear(F.silu(gate) * up, self.shared_down)
        return out.view(shape)

    # --- whole layer -----------------------------------------------------------------------------
    def prefill(self, x):
        positions = torch.arange(x.shape[1], device=x.device).expand(x.shape[0], -1)
        a, latent, k_pe = self.attention_prefill(rms_norm(x, self.attn_norm, self.cfg.rms_eps), positions)
        h = x + a
        return h + self.moe(rms_norm(h, self.ffn_norm, self.cfg.rms_eps)), latent, k_pe

    def decode(self, x, position, cache_latent, cache_pe):
        positions = torch.full((x.shape[0], 1), position, device=x.device, dtype=torch.long)
        a = self.attention_decode(rms_norm(x, self.attn_norm, self.cfg.rms_eps), positions, cache_latent, cache_pe)
        h = x + a
        return h + self.moe(rms_norm(h, self.ffn_norm, self.cfg.rms_eps))


def timed(name, fn, iters, warmup):
    """Runs fn warmup + iters times inside an NVTX/record_function range; returns ms per iteration."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.nvtx.range_push(name)
    with torch.autograd.profiler.record_function(name):
        start.record()
        for _ in range(iters):
            fn()
        end.record()
    torch.cuda.nvtx.range_pop()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iters


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--phase", choices=["prefill", "decode", "both"], default="both")
    p.add_argument("--tokens", type=int, default=4096, help="prefill tokens per sequence")
    p.add_argument("--sequences", type=int, default=1, help="prefill sequences")
    p.add_argument("--decode-batch", type=int, default=64, help="decode requests")
    p.add_argument("--context", type=int, default=4096, help="decode context length (cached tokens)")
    p.add_argument("--experts", type=int, default=0, help="routed experts (default 256; e.g. 32 on small GPUs)")
    p.add_argument("--scale", type=int, default=1, help="divide width and heads by this (small GPUs)")
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kineto", default="", help="record with torch.profiler and write this Chrome trace")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if torch is None or not torch.cuda.is_available():
        print("deepseek_v3_layer.py: needs PyTorch with a CUDA GPU", file=sys.stderr)
        return 4
    cfg = LayerConfig().shrunk(args.scale, args.experts)
    device, dtype = torch.device("cuda"), torch.bfloat16
    torch.manual_seed(args.seed)
    t0 = time.time()
    layer = Layer(cfg, device, dtype, args.seed)
    print(f"layer built in {time.time() - t0:.1f} s: {cfg}", file=sys.stderr)
    profiler = None
    if args.kineto:
        profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU,
                                                      torch.profiler.ProfilerActivity.CUDA])
        profiler.__enter__()
    results = {}
    with torch.no_grad():
        if args.phase in ("prefill", "both"):
            x = torch.randn(args.sequences, args.tokens, cfg.hidden, device=device, dtype=dtype)
            results["prefill_ms"] = timed("prefill", lambda: layer.prefill(x), args.iters, args.warmup)
        if args.phase in ("decode", "both"):
            b, ctx = args.decode_batch, args.context
            cache_latent = torch.randn(b, ctx, cfg.kv_lora_rank, device=device, dtype=dtype)
            cache_pe = torch.randn(b, ctx, cfg.qk_rope, device=device, dtype=dtype)
            x = torch.randn(b, 1, cfg.hidden, device=device, dtype=dtype)
            results["decode_ms"] = timed("decode", lambda: layer.decode(x, ctx, cache_latent, cache_pe),
                                         args.iters, args.warmup)
    if profiler is not None:
        profiler.__exit__(None, None, None)
        profiler.export_chrome_trace(args.kineto)
    print(" ".join(f"{k}={v:.3f}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
