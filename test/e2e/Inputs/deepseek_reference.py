#!/usr/bin/python3
"""A plain float64 NumPy forward pass of DeepSeek-V2 / V3 / R1 checkpoints in
the Hugging Face layout: an independent second method for the models that
../shared/goldens has no golden for (DeepSeek-V2: q_proj, softmax router,
greedy / group_limited_greedy top-k, YaRN with mscale = mscale_all_dim != 1).

Written from ../shared/models/SEMANTICS.md and the semantics of DeepSeek-V3's
inference/model.py (naive MLA, interleaved YaRN rope, gate); not a copy of it.
Needs numpy only (no torch, no safetensors package: the format is parsed by hand).

Library: load(model_dir, w8a8=False) -> Model; Model.logits(tokens) -> float64
[T, vocab]. With w8a8, DeepSeek's W8A8 recipe: the input of every projection
whose checkpoint weight is FP8 is quantized per 1x128 block to e4m3 with
s = max(amax, 1e-4) / 448 (inference/kernel.py act_quant) before the product;
kv_b_proj is used dequantized, as in the reference's absorbed attention.
"""
import glob
import json
import math
import os
import struct

import numpy as np


# --- safetensors --------------------------------------------------------------

def _e4m3fn_table():
    vals = np.zeros(256, dtype=np.float64)
    for b in range(256):
        s = -1.0 if b & 0x80 else 1.0
        e, m = (b >> 3) & 0xF, b & 0x7
        if e == 0xF and m == 0x7:
            vals[b] = np.nan
        elif e == 0:
            vals[b] = s * (m / 8.0) * 2.0 ** -6
        else:
            vals[b] = s * (1.0 + m / 8.0) * 2.0 ** (e - 7)
    return vals


E4M3 = _e4m3fn_table()


def read_safetensors(path):
    """{name: (dtype, float64 ndarray)} of one .safetensors file."""
    out = {}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw, shape, dt = data[a:b], tuple(info["shape"]), info["dtype"]
        if dt == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            v = u.view(np.float32).astype(np.float64)
        elif dt == "F32":
            v = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif dt == "F16":
            v = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        elif dt == "F8_E4M3":
            v = E4M3[np.frombuffer(raw, dtype=np.uint8)]
        else:
            raise ValueError(f"{path}: {name}: unsupported dtype {dt}")
        out[name] = (dt, v.reshape(shape))
    return out


_E4M3_POS = E4M3[:127]  # codes 0x00..0x7e: 0 .. 448, ascending


def round_e4m3(y):
    """Nearest e4m3fn value (ties to the even code), saturating at +-448."""
    a = np.minimum(np.abs(y), 448.0)
    hi = np.clip(np.searchsorted(_E4M3_POS, a), 1, 126)
    lo = hi - 1
    dlo, dhi = a - _E4M3_POS[lo], _E4M3_POS[hi] - a
    pick = np.where(dlo < dhi, lo, np.where(dhi < dlo, hi, np.where(lo % 2 == 0, lo, hi)))
    return np.sign(y) * _E4M3_POS[pick]


def act_quant(x, block=128):
    """x with each 1 x block run of its last axis fake-quantized to e4m3."""
    out = np.empty_like(x)
    for b in range(0, x.shape[-1], block):
        blk = x[..., b:b + block]
        s = np.maximum(np.abs(blk).max(-1, keepdims=True), 1e-4) / 448.0
        out[..., b:b + block] = round_e4m3(blk / s) * s
    return out


def load_weights(model_dir, block=128, fp8_names=None):
    raw = {}
    for path in sorted(glob.glob(os.path.join(model_dir, "*.safetensors"))):
        raw.update(read_safetensors(path))
    if fp8_names is not None:
        fp8_names.update(n for n, (dt, _) in raw.items() if dt == "F8_E4M3")
    w = {}
    for name, (dt, v) in raw.items():
        if name.endswith("_scale_inv"):
            continue
        if dt == "F8_E4M3":
            s = raw[name + "_scale_inv"][1]
            # weight = fp8 x the scale of its 128x128 block
            full = np.repeat(np.repeat(s, block, axis=0), block, axis=1)[: v.shape[0], : v.shape[1]]
            v = v * full
        w[name] = np.ascontiguousarray(v)
    return w


# --- model --------------------------------------------------------------------

def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def topk_idx(x, k):
    """Indices of the k largest along the last axis, descending (stable on ties)."""
    return np.argsort(-x, axis=-1, kind="stable")[..., :k]


def silu_mlp(x, proj, p):
    return proj(silu(proj(x, p + "gate_proj.weight")) * proj(x, p + "up_proj.weight"),
                p + "down_proj.weight")


def yarn_get_mscale(scale, m):
    return 0.1 * m * math.log(scale) + 1.0 if scale > 1 else 1.0


class Model:
    def __init__(self, model_dir, w8a8=False):
        self.cfg = json.load(open(os.path.join(model_dir, "config.json")))
        c = self.cfg
        block = c.get("quantization_config", {}).get("weight_block_size", [128])[0]
        self.fp8 = set()
        self.w = load_weights(model_dir, block, self.fp8)
        self.w8a8 = w8a8
        self.eps = c["rms_norm_eps"]
        self.nh = c["num_attention_heads"]
        self.nope, self.rope, self.vd = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
        self.kvr = c["kv_lora_rank"]
        self.q_lora = c.get("q_lora_rank")
        rs = c.get("rope_scaling") or {}
        kind = rs.get("type", rs.get("rope_type"))
        self.scale = (self.nope + self.rope) ** -0.5
        self.cos_sin_mult = 1.0
        self.yarn = kind == "yarn"
        if self.yarn:
            f = rs["factor"]
            m_all = rs.get("mscale_all_dim", 0) or 0
            m = yarn_get_mscale(f, m_all)
            self.scale *= m * m  # qk_head_dim^-0.5 * m^2
            self.cos_sin_mult = yarn_get_mscale(f, rs.get("mscale", 1)) / yarn_get_mscale(f, m_all)
        elif rs:
            raise ValueError(f"unsupported rope_scaling {rs}")

    def inv_freq(self):
        """DeepSeek's YaRN frequency blending (floor/ceil correction range)."""
        c, dim = self.cfg, self.rope
        base = c["rope_theta"]
        freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
        if not self.yarn:
            return freqs
        rs = c["rope_scaling"]
        f, orig = rs["factor"], rs["original_max_position_embeddings"]
        bf, bs = rs.get("beta_fast", 32), rs.get("beta_slow", 1)

        def corr_dim(rot):
            return dim * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))

        low = max(math.floor(corr_dim(bf)), 0)
        high = min(math.ceil(corr_dim(bs)), dim - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
        smooth = 1 - ramp
        return freqs / f * (1 - smooth) + freqs * smooth

    def apply_rope(self, x, cos, sin):
        """Interleaved pairs (x[2i], x[2i+1]) rotated by position * freq_i.
        x: [T, heads, rope]; cos/sin: [T, rope/2]."""
        a, b = x[..., 0::2], x[..., 1::2]
        c, s = cos[:, None, :], sin[:, None, :]
        out = np.empty_like(x)
        out[..., 0::2] = a * c - b * s
        out[..., 1::2] = a * s + b * c
        return out

    def proj(self, x, name):
        """x @ W^T, with x quantized first in W8A8 mode when W is FP8."""
        if self.w8a8 and name in self.fp8:
            x = act_quant(x)
        return x @ self.w[name].T

    def attention(self, x, i, cos, sin):
        w, p = self.w, f"model.layers.{i}.self_attn."
        T, nh = x.shape[0], self.nh
        if self.q_lora:
            q = rms_norm(self.proj(x, p + "q_a_proj.weight"), w[p + "q_a_layernorm.weight"], self.eps)
            q = self.proj(q, p + "q_b_proj.weight")
        else:
            q = self.proj(x, p + "q_proj.weight")
        q = q.reshape(T, nh, self.nope + self.rope)
        q_nope, q_pe = q[..., : self.nope], self.apply_rope(q[..., self.nope:], cos, sin)
        kv = self.proj(x, p + "kv_a_proj_with_mqa.weight")
        latent, k_pe = kv[:, : self.kvr], kv[:, None, self.kvr:]
        k_pe = self.apply_rope(k_pe, cos, sin)  # one head, shared by all query heads
        kv = rms_norm(latent, w[p + "kv_a_layernorm.weight"], self.eps) @ w[p + "kv_b_proj.weight"].T
        kv = kv.reshape(T, nh, self.nope + self.vd)
        k_nope, v = kv[..., : self.nope], kv[..., self.nope:]
        qf = np.concatenate([q_nope, q_pe], -1)
        kf = np.concatenate([k_nope, np.broadcast_to(k_pe, (T, nh, self.rope))], -1)
        scores = np.einsum("shd,thd->hst", qf, kf) * self.scale
        scores = scores + np.triu(np.full((T, T), -np.inf), 1)
        probs = softmax(scores, -1)
        o = np.einsum("hst,thd->shd", probs, v).reshape(T, nh * self.vd)
        return self.proj(o, p + "o_proj.weight")

    def route(self, x, i):
        """(expert ids [T, k], weights [T, k]) per SEMANTICS.md."""
        c, w, p = self.cfg, self.w, f"model.layers.{i}.mlp."
        E, k = c["n_routed_experts"], c["num_experts_per_tok"]
        method = c.get("topk_method", "greedy")
        ng, tg = c.get("n_group") or 1, c.get("topk_group") or 1
        logits = x @ w[p + "gate.weight"].T
        func = c.get("scoring_func", "softmax")
        if func == "softmax":
            s = softmax(logits, -1)
        elif func == "sigmoid":
            s = 1.0 / (1.0 + np.exp(-logits))
        else:
            raise ValueError(f"scoring_func {func}")
        T = x.shape[0]
        if method == "noaux_tc":
            b = s + w[p + "gate.e_score_correction_bias"]
            grouped = np.sort(b.reshape(T, ng, E // ng), axis=-1)
            gs = grouped[..., -1] + grouped[..., -2]  # sum of each group's top-2
        elif method == "group_limited_greedy":
            b = s
            gs = b.reshape(T, ng, E // ng).max(-1)
        elif method == "greedy":
            b, gs = s, None
        else:
            raise ValueError(f"topk_method {method}")
        if gs is not None and ng > 1:
            keep = topk_idx(gs, tg)
            gmask = np.zeros((T, ng), dtype=bool)
            np.put_along_axis(gmask, keep, True, axis=1)
            emask = np.repeat(gmask, E // ng, axis=1)
            b = np.where(emask, b, -np.inf)
        idx = topk_idx(b, k)
        wts = np.take_along_axis(s, idx, axis=1)  # the unbiased scores of the chosen experts
        if c.get("norm_topk_prob", False):
            wts = wts / wts.sum(-1, keepdims=True)
        return idx, wts * c.get("routed_scaling_factor", 1.0)

    def moe(self, x, i):
        c, w, p = self.cfg, self.w, f"model.layers.{i}.mlp."
        idx, wts = self.route(x, i)
        y = np.zeros_like(x)
        for e in range(c["n_routed_experts"]):
            rows, slot = np.nonzero(idx == e)
            if rows.size:
                y[rows] += silu_mlp(x[rows], self.proj, p + f"experts.{e}.") * wts[rows, slot, None]
        if c.get("n_shared_experts"):
            y = y + silu_mlp(x, self.proj, p + "shared_experts.")
        return y

    def logits(self, tokens):
        c, w = self.cfg, self.w
        T = len(tokens)
        ang = np.outer(np.arange(T, dtype=np.float64), self.inv_freq())
        cos, sin = np.cos(ang) * self.cos_sin_mult, np.sin(ang) * self.cos_sin_mult
        h = w["model.embed_tokens.weight"][np.asarray(tokens)]
        for i in range(c["num_hidden_layers"]):  # the MTP layer is not part of next-token logits
            p = f"model.layers.{i}."
            h = h + self.attention(rms_norm(h, w[p + "input_layernorm.weight"], self.eps), i, cos, sin)
            xn = rms_norm(h, w[p + "post_attention_layernorm.weight"], self.eps)
            is_moe = (c.get("n_routed_experts") and i >= c.get("first_k_dense_replace", 0)
                      and i % c.get("moe_layer_freq", 1) == 0)
            h = h + (self.moe(xn, i) if is_moe else silu_mlp(xn, self.proj, p + "mlp."))
        h = rms_norm(h, w["model.norm.weight"], self.eps)
        return h @ w["lm_head.weight"].T


def load(model_dir, w8a8=False):
    return Model(model_dir, w8a8)


def golden(model, tokens, spec, prompt, top=64):
    """The golden format of ../shared/goldens (see its README)."""
    logits = model.logits(tokens)
    m = logits.max(-1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[:, 0]
    ids = np.argsort(-logits, axis=-1, kind="stable")[:, :top]
    vals = np.take_along_axis(logits, ids, axis=1)
    engine = "test/e2e/Inputs/deepseek_reference.py (float64" + (", W8A8)" if model.w8a8 else ")")
    return {"spec": spec, "engine": engine, "prompt": prompt,
            "tokens": list(tokens),
            "positions": [{"lse": float(lse[t]), "top_ids": [int(v) for v in ids[t]],
                           "top_logits": [float(v) for v in vals[t]]} for t in range(len(tokens))]}
