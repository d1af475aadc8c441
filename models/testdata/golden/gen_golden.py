#!/usr/bin/python3
"""Generate tiny random HF-layout checkpoints and golden activations for parity tests.

Independent plain-torch implementation written from the Hugging Face modeling equations
(modeling_qwen2.py, modeling_llama.py, modeling_gpt2.py, modeling_starcoder2.py).
No `transformers` and no `safetensors` package needed: safetensors files are written by hand.

Run:  /usr/bin/python3 models/testdata/golden/gen_golden.py
Deterministic: torch.manual_seed per checkpoint, float32 weights, CPU only.

Each model is run twice from the same f32 weights: once in float32 and once in float64.
The script asserts they agree and stores the float64 results (cast to f32) as the golden.
A second, differently written formulation (loops over batch/head, RoPE as complex rotation,
manual softmax/LayerNorm, torch's built-in tanh-GELU) is run in float64 for every model and
must agree with the main formulation.
"""

import json
import math
import os
import re
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, SEQ = 2, 24
F32_F64_TOL = 2e-5  # absolute tolerance for f32-vs-f64 (relative to O(1) activations)
ALT_TOL = 1e-9  # main vs alternative formulation, both float64

torch.set_num_threads(1)  # keep reductions deterministic


# --------------------------------------------------------------------------------------------
# safetensors writer
# --------------------------------------------------------------------------------------------

_DT = {
    torch.float32: ("F32", np.float32),
    torch.int64: ("I64", np.int64),
}


def tensor_bytes(t):
    """Returns (dtype string, raw little-endian bytes) of a CPU tensor."""
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:
        bits = t.view(torch.int16).numpy().astype("<i2")
        return "BF16", bits.tobytes()
    name, npdt = _DT[t.dtype]
    return name, t.numpy().astype(np.dtype(npdt).newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    """Writes a dict name->tensor as safetensors, tensors sorted by name."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name]
        dt, b = tensor_bytes(t)
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata is not None:
        header["__metadata__"] = metadata
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return off


def read_safetensors(path):
    """Minimal reader used to verify what was written."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        raw = data[base + s : base + e]
        if info["dtype"] == "F32":
            a = np.frombuffer(raw, dtype="<f4").astype(np.float32)
            t = torch.from_numpy(a.copy())
        elif info["dtype"] == "I64":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i8").astype(np.int64).copy())
        elif info["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            t = torch.from_numpy(u.view(np.float32).copy())
        else:
            raise ValueError(info["dtype"])
        out[name] = t.reshape(info["shape"])
    return out, header


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------------
# Weight initialisation helpers (visible scale so each layer matters)
# --------------------------------------------------------------------------------------------


def lin(out_f, in_f, std=0.1):
    return torch.randn(out_f, in_f) * std


def norm_w(n):
    return 1.0 + 0.1 * torch.randn(n)


def bias(n):
    return 0.05 * torch.randn(n)


# --------------------------------------------------------------------------------------------
# Main formulation (vectorised, HF equations)
# --------------------------------------------------------------------------------------------


def rms_norm(x, w, eps):
    # LlamaRMSNorm / Qwen2RMSNorm: x * rsqrt(mean(x^2) + eps) * weight
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = (x - mu).pow(2).mean(-1, keepdim=True)  # biased variance, as nn.LayerNorm
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu_tanh(x):
    # gelu_new == gelu_pytorch_tanh
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def linear(x, w, b=None):
    y = x @ w.t()
    return y if b is None else y + b


def rope_cos_sin(seq, dim, theta, dtype):
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype) / dim))
    pos = torch.arange(seq, dtype=dtype)
    freqs = torch.outer(pos, inv_freq)  # [seq, dim/2]
    emb = torch.cat((freqs, freqs), dim=-1)  # [seq, dim]
    return emb.cos(), emb.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(x, cos, sin):
    # x: [B, H, S, D]; cos/sin: [S, D]
    return x * cos + rotate_half(x) * sin


def causal_attention(q, k, v):
    """q: [B,H,S,D], k/v: [B,H,S,D] (already repeated). Returns (out [B,H,S,D], probs)."""
    d = q.shape[-1]
    s = q.shape[-2]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
    mask = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    return probs @ v, probs


def repeat_kv(x, n_rep):
    # [B, KV, S, D] -> [B, KV*n_rep, S, D]; kv head j serves query heads j*n_rep..(j+1)*n_rep-1
    return x.repeat_interleave(n_rep, dim=1)


def split_heads(x, n_heads, head_dim):
    b, s, _ = x.shape
    return x.view(b, s, n_heads, head_dim).transpose(1, 2)


def merge_heads(x):
    b, h, s, d = x.shape
    return x.transpose(1, 2).reshape(b, s, h * d)


def rope_attention(x, W, p, cfg, cos, sin, o_bias):
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim_"]
    q = linear(x, W[p + "q_proj.weight"], W.get(p + "q_proj.bias"))
    k = linear(x, W[p + "k_proj.weight"], W.get(p + "k_proj.bias"))
    v = linear(x, W[p + "v_proj.weight"], W.get(p + "v_proj.bias"))
    q, k, v = split_heads(q, nh, hd), split_heads(k, nkv, hd), split_heads(v, nkv, hd)
    q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
    k, v = repeat_kv(k, nh // nkv), repeat_kv(v, nh // nkv)
    o, probs = causal_attention(q, k, v)
    return linear(merge_heads(o), W[p + "o_proj.weight"], W.get(p + "o_proj.bias") if o_bias else None), probs


def heads_and_logits(x_final, lm_w, ids, hooks):
    logits = x_final @ lm_w.t()
    hooks["logits"] = logits
    lsm = torch.log_softmax(logits, dim=-1)
    hooks["logprobs"] = lsm[:, :-1, :].gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    hooks["entropy"] = -(lsm.exp() * lsm).sum(-1)
    return hooks


def forward_llama_like(W, cfg, ids, dtype):
    """Qwen2 and Llama: RMSNorm, RoPE, GQA, SwiGLU, optional qkv bias."""
    W = {k: v.to(dtype) for k, v in W.items()}
    eps = cfg["rms_norm_eps"]
    hooks = {"input_ids": ids}
    x = W["model.embed_tokens.weight"][ids]
    hooks["embed"] = x
    cos, sin = rope_cos_sin(ids.shape[1], cfg["head_dim_"], cfg["rope_theta"], dtype)
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        hooks[f"blocks.{L}.resid_pre"] = x
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        a, probs = rope_attention(h, W, p + "self_attn.", cfg, cos, sin, o_bias=False)
        hooks[f"blocks.{L}.attn.pattern"] = probs
        x = x + a
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        m = linear(F.silu(linear(h, W[p + "mlp.gate_proj.weight"])) * linear(h, W[p + "mlp.up_proj.weight"]),
                   W[p + "mlp.down_proj.weight"])
        x = x + m
        hooks[f"blocks.{L}.resid_post"] = x
    x = rms_norm(x, W["model.norm.weight"], eps)
    hooks["final_norm"] = x
    lm = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return heads_and_logits(x, lm, ids, hooks)


def forward_starcoder2(W, cfg, ids, dtype):
    """StarCoder2: LayerNorm (with bias), RoPE, GQA, biased linears, c_fc -> gelu_tanh -> c_proj."""
    W = {k: v.to(dtype) for k, v in W.items()}
    eps = cfg["norm_epsilon"]
    hooks = {"input_ids": ids}
    x = W["model.embed_tokens.weight"][ids]
    hooks["embed"] = x
    cos, sin = rope_cos_sin(ids.shape[1], cfg["head_dim_"], cfg["rope_theta"], dtype)
    assert cfg["sliding_window"] >= ids.shape[1]
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        hooks[f"blocks.{L}.resid_pre"] = x
        h = layer_norm(x, W[p + "input_layernorm.weight"], W[p + "input_layernorm.bias"], eps)
        a, probs = rope_attention(h, W, p + "self_attn.", cfg, cos, sin, o_bias=True)
        hooks[f"blocks.{L}.attn.pattern"] = probs
        x = x + a
        h = layer_norm(x, W[p + "post_attention_layernorm.weight"], W[p + "post_attention_layernorm.bias"], eps)
        m = linear(gelu_tanh(linear(h, W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"])),
                   W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"])
        x = x + m
        hooks[f"blocks.{L}.resid_post"] = x
    x = layer_norm(x, W["model.norm.weight"], W["model.norm.bias"], eps)
    hooks["final_norm"] = x
    return heads_and_logits(x, W["model.embed_tokens.weight"], ids, hooks)


def conv1d(x, w, b):
    # HF Conv1D: weight [in, out]; y = x @ W + b
    return x @ w + b


def forward_gpt2(W, cfg, ids, dtype):
    # known non-weight buffers of old checkpoints (causal mask) are ignored
    W = {k: v.to(dtype) for k, v in W.items() if not re.fullmatch(r"h\.\d+\.attn\.(bias|masked_bias)", k)}
    eps = cfg["layer_norm_epsilon"]
    E, nh = cfg["n_embd"], cfg["n_head"]
    hd = E // nh
    hooks = {"input_ids": ids}
    pos = torch.arange(ids.shape[1])
    x = W["wte.weight"][ids] + W["wpe.weight"][pos]
    hooks["embed"] = x
    for L in range(cfg["n_layer"]):
        p = f"h.{L}."
        hooks[f"blocks.{L}.resid_pre"] = x
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = conv1d(h, W[p + "attn.c_attn.weight"], W[p + "attn.c_attn.bias"])
        q, k, v = qkv.split(E, dim=-1)
        q, k, v = split_heads(q, nh, hd), split_heads(k, nh, hd), split_heads(v, nh, hd)
        o, probs = causal_attention(q, k, v)
        hooks[f"blocks.{L}.attn.pattern"] = probs
        x = x + conv1d(merge_heads(o), W[p + "attn.c_proj.weight"], W[p + "attn.c_proj.bias"])
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = conv1d(gelu_tanh(conv1d(h, W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"])),
                   W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"])
        x = x + m
        hooks[f"blocks.{L}.resid_post"] = x
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)
    hooks["final_norm"] = x
    return heads_and_logits(x, W["wte.weight"], ids, hooks)


# --------------------------------------------------------------------------------------------
# Alternative formulation (float64, loops, different primitives) for cross-checking
# --------------------------------------------------------------------------------------------


def alt_rms(x, w, eps):
    return x / torch.sqrt((x * x).sum(-1, keepdim=True) / x.shape[-1] + eps) * w


def alt_ln(x, w, b, eps):
    return F.layer_norm(x, (x.shape[-1],), w, b, eps)


def alt_gelu(x):
    return F.gelu(x, approximate="tanh")


def alt_rope_vec(vec, pos, theta):
    """Rotate one head vector [D] at position pos: pairs (i, i+D/2) as complex numbers."""
    d = vec.shape[0]
    h = d // 2
    out = torch.empty_like(vec)
    for i in range(h):
        ang = pos * (theta ** (-(2.0 * i) / d))
        z = complex(vec[i].item(), vec[i + h].item()) * complex(math.cos(ang), math.sin(ang))
        out[i], out[i + h] = z.real, z.imag
    return out


def alt_attention(xn, Wq, bq, Wk, bk, Wv, bv, nh, nkv, hd, theta):
    """Explicit loops over batch, head and query position. xn: [B,S,E]. Returns ([B,S,nh*hd], probs)."""
    B, S, _ = xn.shape
    group = nh // nkv
    Q = F.linear(xn, Wq, bq)
    K = F.linear(xn, Wk, bk)
    V = F.linear(xn, Wv, bv)
    out = torch.zeros(B, S, nh * hd, dtype=xn.dtype)
    probs = torch.zeros(B, nh, S, S, dtype=xn.dtype)
    for b in range(B):
        for h in range(nh):
            kvh = h // group
            qs = [Q[b, t, h * hd:(h + 1) * hd] for t in range(S)]
            ks = [K[b, t, kvh * hd:(kvh + 1) * hd] for t in range(S)]
            vs = [V[b, t, kvh * hd:(kvh + 1) * hd] for t in range(S)]
            if theta is not None:
                qs = [alt_rope_vec(qs[t], t, theta) for t in range(S)]
                ks = [alt_rope_vec(ks[t], t, theta) for t in range(S)]
            for t in range(S):
                sc = torch.stack([torch.dot(qs[t], ks[j]) for j in range(t + 1)]) / math.sqrt(hd)
                e = torch.exp(sc - sc.max())
                pr = e / e.sum()
                probs[b, h, t, : t + 1] = pr
                acc = torch.zeros(hd, dtype=xn.dtype)
                for j in range(t + 1):
                    acc = acc + pr[j] * vs[j]
                out[b, t, h * hd:(h + 1) * hd] = acc
    return out, probs


def alt_tail(x, lm_w, ids, hooks):
    logits = torch.einsum("bse,ve->bsv", x, lm_w)
    hooks["logits"] = logits
    B, S, _ = logits.shape
    lp = torch.zeros(B, S - 1, dtype=x.dtype)
    ent = torch.zeros(B, S, dtype=x.dtype)
    for b in range(B):
        for t in range(S):
            z = logits[b, t]
            m = z.max()
            lse = m + torch.log(torch.exp(z - m).sum())
            p = torch.exp(z - lse)
            ent[b, t] = -(p * (z - lse)).sum()
            if t < S - 1:
                lp[b, t] = z[ids[b, t + 1]] - lse
    hooks["logprobs"], hooks["entropy"] = lp, ent
    return hooks


def alt_forward(arch, W, cfg, ids):
    W = {k: v.double() for k, v in W.items()}
    hooks = {"input_ids": ids}
    if arch == "gpt2":
        E, nh = cfg["n_embd"], cfg["n_head"]
        hd, eps = E // nh, cfg["layer_norm_epsilon"]
        x = torch.stack([torch.stack([W["wte.weight"][ids[b, t]] + W["wpe.weight"][t] for t in range(ids.shape[1])])
                         for b in range(ids.shape[0])])
        hooks["embed"] = x
        for L in range(cfg["n_layer"]):
            p = f"h.{L}."
            hooks[f"blocks.{L}.resid_pre"] = x
            h = alt_ln(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
            Wa, ba = W[p + "attn.c_attn.weight"].t(), W[p + "attn.c_attn.bias"]  # -> [out, in]
            o, pr = alt_attention(h, Wa[:E], ba[:E], Wa[E:2 * E], ba[E:2 * E], Wa[2 * E:], ba[2 * E:], nh, nh, hd, None)
            hooks[f"blocks.{L}.attn.pattern"] = pr
            x = x + F.linear(o, W[p + "attn.c_proj.weight"].t(), W[p + "attn.c_proj.bias"])
            h = alt_ln(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
            h = alt_gelu(F.linear(h, W[p + "mlp.c_fc.weight"].t(), W[p + "mlp.c_fc.bias"]))
            x = x + F.linear(h, W[p + "mlp.c_proj.weight"].t(), W[p + "mlp.c_proj.bias"])
            hooks[f"blocks.{L}.resid_post"] = x
        x = alt_ln(x, W["ln_f.weight"], W["ln_f.bias"], eps)
        hooks["final_norm"] = x
        return alt_tail(x, W["wte.weight"], ids, hooks)

    nh, nkv, hd, theta = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim_"], cfg["rope_theta"]
    sc2 = arch == "starcoder2"
    eps = cfg["norm_epsilon"] if sc2 else cfg["rms_norm_eps"]

    def norm(x, name):
        return alt_ln(x, W[name + ".weight"], W[name + ".bias"], eps) if sc2 else alt_rms(x, W[name + ".weight"], eps)

    x = F.embedding(ids, W["model.embed_tokens.weight"])
    hooks["embed"] = x
    for L in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{L}."
        a = p + "self_attn."
        hooks[f"blocks.{L}.resid_pre"] = x
        h = norm(x, p + "input_layernorm")
        o, pr = alt_attention(h, W[a + "q_proj.weight"], W.get(a + "q_proj.bias"), W[a + "k_proj.weight"],
                              W.get(a + "k_proj.bias"), W[a + "v_proj.weight"], W.get(a + "v_proj.bias"),
                              nh, nkv, hd, theta)
        hooks[f"blocks.{L}.attn.pattern"] = pr
        x = x + F.linear(o, W[a + "o_proj.weight"], W.get(a + "o_proj.bias"))
        h = norm(x, p + "post_attention_layernorm")
        if sc2:
            m = F.linear(alt_gelu(F.linear(h, W[p + "mlp.c_fc.weight"], W[p + "mlp.c_fc.bias"])),
                         W[p + "mlp.c_proj.weight"], W[p + "mlp.c_proj.bias"])
        else:
            g = F.linear(h, W[p + "mlp.gate_proj.weight"])
            m = F.linear(g * torch.sigmoid(g) * F.linear(h, W[p + "mlp.up_proj.weight"]), W[p + "mlp.down_proj.weight"])
        x = x + m
        hooks[f"blocks.{L}.resid_post"] = x
    x = norm(x, "model.norm")
    hooks["final_norm"] = x
    lm = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return alt_tail(x, lm, ids, hooks)


# --------------------------------------------------------------------------------------------
# Checkpoint definitions
# --------------------------------------------------------------------------------------------


def make_qwen2():
    torch.manual_seed(1001)
    cfg = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "torch_dtype": "float32",
        "vocab_size": 256,
        "hidden_size": 64,
        "intermediate_size": 176,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "hidden_act": "silu",
        "max_position_embeddings": 128,
        "rope_theta": 1000000.0,
        "rope_scaling": None,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
        "use_sliding_window": False,
        "sliding_window": 128,
        "max_window_layers": 3,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "use_cache": True,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "transformers_version": "4.44.0",
    }
    E, I, nh, nkv, hd = 64, 176, 4, 2, 16
    W = {"model.embed_tokens.weight": torch.randn(256, E) * 0.25}
    for L in range(3):
        p = f"model.layers.{L}."
        W[p + "input_layernorm.weight"] = norm_w(E)
        W[p + "self_attn.q_proj.weight"] = lin(nh * hd, E, 0.2)
        W[p + "self_attn.q_proj.bias"] = bias(nh * hd)
        W[p + "self_attn.k_proj.weight"] = lin(nkv * hd, E, 0.2)
        W[p + "self_attn.k_proj.bias"] = bias(nkv * hd)
        W[p + "self_attn.v_proj.weight"] = lin(nkv * hd, E)
        W[p + "self_attn.v_proj.bias"] = bias(nkv * hd)
        W[p + "self_attn.o_proj.weight"] = lin(E, nh * hd)
        W[p + "post_attention_layernorm.weight"] = norm_w(E)
        W[p + "mlp.gate_proj.weight"] = lin(I, E)
        W[p + "mlp.up_proj.weight"] = lin(I, E)
        W[p + "mlp.down_proj.weight"] = lin(E, I)
    W["model.norm.weight"] = norm_w(E)
    return cfg, W


def make_llama():
    torch.manual_seed(2002)
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "torch_dtype": "float32",
        "vocab_size": 256,
        "hidden_size": 64,
        "intermediate_size": 160,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "head_dim": 16,
        "hidden_act": "silu",
        "max_position_embeddings": 128,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "rms_norm_eps": 1e-5,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "pretraining_tp": 1,
        "tie_word_embeddings": False,
        "initializer_range": 0.02,
        "use_cache": True,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "transformers_version": "4.44.0",
    }
    E, I, nh, hd = 64, 160, 4, 16
    W = {"model.embed_tokens.weight": torch.randn(256, E) * 0.25}
    for L in range(2):
        p = f"model.layers.{L}."
        W[p + "input_layernorm.weight"] = norm_w(E)
        W[p + "self_attn.q_proj.weight"] = lin(nh * hd, E, 0.2)
        W[p + "self_attn.k_proj.weight"] = lin(nh * hd, E, 0.2)
        W[p + "self_attn.v_proj.weight"] = lin(nh * hd, E)
        W[p + "self_attn.o_proj.weight"] = lin(E, nh * hd)
        W[p + "post_attention_layernorm.weight"] = norm_w(E)
        W[p + "mlp.gate_proj.weight"] = lin(I, E)
        W[p + "mlp.up_proj.weight"] = lin(I, E)
        W[p + "mlp.down_proj.weight"] = lin(E, I)
    W["model.norm.weight"] = norm_w(E)
    W["lm_head.weight"] = lin(256, E, 0.2)
    return cfg, W


def make_gpt2():
    torch.manual_seed(3003)
    cfg = {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "torch_dtype": "float32",
        "vocab_size": 256,
        "n_embd": 64,
        "n_layer": 2,
        "n_head": 4,
        "n_positions": 64,
        "n_ctx": 64,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": 1e-5,
        "resid_pdrop": 0.1,
        "embd_pdrop": 0.1,
        "attn_pdrop": 0.1,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "transformers_version": "4.44.0",
    }
    E, I = 64, 256
    W = {"wte.weight": torch.randn(256, E) * 0.25, "wpe.weight": torch.randn(64, E) * 0.2}
    for L in range(2):
        p = f"h.{L}."
        W[p + "ln_1.weight"] = norm_w(E)
        W[p + "ln_1.bias"] = bias(E)
        # Conv1D weights are [in, out]
        W[p + "attn.c_attn.weight"] = torch.cat([lin(E, E, 0.2), lin(E, E, 0.2), lin(E, E)], dim=0).t().contiguous()
        W[p + "attn.c_attn.bias"] = bias(3 * E)
        W[p + "attn.c_proj.weight"] = lin(E, E)
        W[p + "attn.c_proj.bias"] = bias(E)
        W[p + "ln_2.weight"] = norm_w(E)
        W[p + "ln_2.bias"] = bias(E)
        W[p + "mlp.c_fc.weight"] = lin(E, I)
        W[p + "mlp.c_fc.bias"] = bias(I)
        W[p + "mlp.c_proj.weight"] = lin(I, E)
        W[p + "mlp.c_proj.bias"] = bias(E)
    W["ln_f.weight"] = norm_w(E)
    W["ln_f.bias"] = bias(E)
    assert W["h.0.attn.c_attn.weight"].shape == (64, 192)
    assert W["h.0.mlp.c_fc.weight"].shape == (64, 256)
    assert W["h.0.mlp.c_proj.weight"].shape == (256, 64)
    return cfg, W


def make_starcoder2():
    torch.manual_seed(4004)
    cfg = {
        "architectures": ["Starcoder2ForCausalLM"],
        "model_type": "starcoder2",
        "torch_dtype": "float32",
        "vocab_size": 256,
        "hidden_size": 64,
        "intermediate_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "hidden_act": "gelu_pytorch_tanh",
        "max_position_embeddings": 128,
        "rope_theta": 10000.0,
        "norm_epsilon": 1e-5,
        "use_bias": True,
        "sliding_window": 4096,
        "attention_dropout": 0.0,
        "residual_dropout": 0.0,
        "embedding_dropout": 0.0,
        "tie_word_embeddings": True,
        "initializer_range": 0.02,
        "use_cache": True,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "transformers_version": "4.44.0",
    }
    E, I, nh, nkv, hd = 64, 256, 4, 2, 16
    W = {"model.embed_tokens.weight": torch.randn(256, E) * 0.25}
    for L in range(2):
        p = f"model.layers.{L}."
        W[p + "input_layernorm.weight"] = norm_w(E)
        W[p + "input_layernorm.bias"] = bias(E)
        W[p + "self_attn.q_proj.weight"] = lin(nh * hd, E, 0.2)
        W[p + "self_attn.q_proj.bias"] = bias(nh * hd)
        W[p + "self_attn.k_proj.weight"] = lin(nkv * hd, E, 0.2)
        W[p + "self_attn.k_proj.bias"] = bias(nkv * hd)
        W[p + "self_attn.v_proj.weight"] = lin(nkv * hd, E)
        W[p + "self_attn.v_proj.bias"] = bias(nkv * hd)
        W[p + "self_attn.o_proj.weight"] = lin(E, nh * hd)
        W[p + "self_attn.o_proj.bias"] = bias(E)
        W[p + "post_attention_layernorm.weight"] = norm_w(E)
        W[p + "post_attention_layernorm.bias"] = bias(E)
        W[p + "mlp.c_fc.weight"] = lin(I, E)
        W[p + "mlp.c_fc.bias"] = bias(I)
        W[p + "mlp.c_proj.weight"] = lin(E, I)
        W[p + "mlp.c_proj.bias"] = bias(E)
    W["model.norm.weight"] = norm_w(E)
    W["model.norm.bias"] = bias(E)
    return cfg, W


FORWARD = {
    "qwen2": forward_llama_like,
    "llama": forward_llama_like,
    "starcoder2": forward_starcoder2,
    "gpt2": forward_gpt2,
}


def runtime_cfg(arch, cfg):
    c = dict(cfg)
    if arch != "gpt2":
        c["head_dim_"] = cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    return c


def make_ids(seed, vocab):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (BATCH, SEQ), generator=g, dtype=torch.int64)


def max_abs_diff(a, b, keys):
    out = {}
    for k in keys:
        if k == "input_ids":
            continue
        x, y = a[k].double(), b[k].double()
        fin = torch.isfinite(y)
        assert torch.equal(fin, torch.isfinite(x)), k
        out[k] = (x[fin] - y[fin]).abs().max().item()
    return out


def compute_golden(name, arch, cfg, W, ids):
    rc = runtime_cfg(arch, cfg)
    fwd = FORWARD[arch]
    h32 = fwd(W, rc, ids, torch.float32)
    h64 = fwd(W, rc, ids, torch.float64)
    d32 = max_abs_diff(h32, h64, h64.keys())
    worst = max(d32, key=d32.get)
    nonlogit = max(v for k, v in d32.items() if k != "logits")
    print(f"[{name}] f32 vs f64 max abs diff: {d32[worst]:.3e} (at {worst}); logits {d32['logits']:.3e}, "
          f"all other hooks {nonlogit:.3e}")
    assert d32[worst] < F32_F64_TOL, (name, worst, d32[worst])

    alt = alt_forward(arch, W, rc, ids)
    assert set(alt.keys()) == set(h64.keys()), (set(alt) ^ set(h64))
    dalt = max_abs_diff(alt, h64, h64.keys())
    worst_alt = max(dalt, key=dalt.get)
    print(f"[{name}] main vs alternative formulation (f64) max abs diff: {dalt[worst_alt]:.3e} (at {worst_alt})")
    assert dalt[worst_alt] < ALT_TOL, (name, worst_alt, dalt[worst_alt])

    # sanity: activations O(1), attention rows sum to 1, each layer changes the stream
    for k, v in h64.items():
        if k.endswith("resid_post") or k == "final_norm":
            rms = v.pow(2).mean().sqrt().item()
            assert 0.1 < rms < 10, (name, k, rms)
        if k.endswith("attn.pattern"):
            assert torch.allclose(v.sum(-1), torch.ones_like(v.sum(-1)))
    for L in range(rc.get("num_hidden_layers", rc.get("n_layer"))):
        delta = (h64[f"blocks.{L}.resid_post"] - h64[f"blocks.{L}.resid_pre"]).pow(2).mean().sqrt()
        base = h64[f"blocks.{L}.resid_pre"].pow(2).mean().sqrt()
        assert delta > 0.1 * base, (name, L, delta.item(), base.item())

    gold = {}
    for k, v in h64.items():
        gold[k] = v if k == "input_ids" else v.to(torch.float32).contiguous()
    rms = {k: round(gold[k].pow(2).mean().sqrt().item(), 3) for k in gold if k.endswith("resid_post")}
    print(f"[{name}] resid_post rms: {rms}; mean entropy {gold['entropy'].mean().item():.3f} "
          f"(max {math.log(256):.3f}); mean logprob {gold['logprobs'].mean().item():.3f}")
    return gold, d32[worst]


def save_checkpoint(dirname, cfg, W, dtype=torch.float32):
    d = os.path.join(HERE, dirname)
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), cfg)
    write_safetensors(os.path.join(d, "model.safetensors"), {k: v.to(dtype) for k, v in W.items()},
                      metadata={"format": "pt"})
    return d


def save_sharded(dirname, cfg, W):
    d = os.path.join(HERE, dirname)
    os.makedirs(d, exist_ok=True)
    write_json(os.path.join(d, "config.json"), cfg)
    names = sorted(W)
    # shard 1: embeddings + layer 0; shard 2: the rest (layer 1, final norm, lm_head)
    s1 = [n for n in names if n.startswith("model.embed_tokens") or n.startswith("model.layers.0.")]
    s2 = [n for n in names if n not in s1]
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    total = 0
    wmap = {}
    for fname, shard in zip(files, [s1, s2]):
        total += write_safetensors(os.path.join(d, fname), {n: W[n] for n in shard}, metadata={"format": "pt"})
        for n in shard:
            wmap[n] = fname
    write_json(os.path.join(d, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(wmap.items()))})
    return d


def save_golden(d, gold):
    p = os.path.join(d, "golden.safetensors")
    write_safetensors(p, gold)
    back, _ = read_safetensors(p)
    for k, v in gold.items():
        assert torch.equal(back[k], v), k


def verify_checkpoint(d, W, bf16=False):
    files = sorted(f for f in os.listdir(d) if f.startswith("model") and f.endswith(".safetensors"))
    got = {}
    for f in files:
        t, hdr = read_safetensors(os.path.join(d, f))
        for k, info in hdr.items():
            if k != "__metadata__":
                assert info["dtype"] == ("BF16" if bf16 else "F32"), (k, info["dtype"])
        got.update(t)
    ref = {k: (v.to(torch.bfloat16).float() if bf16 else v) for k, v in W.items()}
    assert set(got) == set(ref), set(got) ^ set(ref)
    for k in ref:
        assert torch.equal(got[k], ref[k]), k


def bf16_round_numpy(t):
    """Independent round-to-nearest-even f32 -> bf16 -> f32, to check torch's conversion."""
    u = t.numpy().view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return torch.from_numpy((r.astype(np.uint32)).view(np.float32).copy())


def main():
    print(f"torch {torch.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    summary = {}

    # 1. qwen2
    cfg, W = make_qwen2()
    ids = make_ids(11, cfg["vocab_size"])
    d = save_checkpoint("qwen2", cfg, W)
    gold, summary["qwen2"] = compute_golden("qwen2", "qwen2", cfg, W, ids)
    save_golden(d, gold)
    verify_checkpoint(d, W)

    # 2. llama (+ sharded copy, + bf16 copy)
    cfg, W = make_llama()
    ids = make_ids(22, cfg["vocab_size"])
    d = save_checkpoint("llama", cfg, W)
    gold, summary["llama"] = compute_golden("llama", "llama", cfg, W, ids)
    save_golden(d, gold)
    verify_checkpoint(d, W)
    ds = save_sharded("llama_sharded", cfg, W)
    verify_checkpoint(ds, W)

    Wb = {k: v.to(torch.bfloat16).to(torch.float32) for k, v in W.items()}
    for k, v in W.items():
        assert torch.equal(Wb[k], bf16_round_numpy(v)), k
    cfgb = dict(cfg, torch_dtype="bfloat16")
    db = save_checkpoint("llama_bf16", cfgb, W, dtype=torch.bfloat16)
    verify_checkpoint(db, W, bf16=True)
    gold_b, summary["llama_bf16"] = compute_golden("llama_bf16", "llama", cfgb, Wb, ids)
    save_golden(db, gold_b)
    print(f"[llama_bf16] logits max |bf16-weights - f32-weights|: "
          f"{(gold_b['logits'] - gold['logits']).abs().max().item():.3e}")

    # 3. gpt2 (+ copy with the old attn.bias causal-mask buffers)
    cfg, W = make_gpt2()
    ids = make_ids(33, cfg["vocab_size"])
    d = save_checkpoint("gpt2", cfg, W)
    gold, summary["gpt2"] = compute_golden("gpt2", "gpt2", cfg, W, ids)
    save_golden(d, gold)
    verify_checkpoint(d, W)
    Wbuf = dict(W)
    n = cfg["n_positions"]
    for L in range(cfg["n_layer"]):
        Wbuf[f"h.{L}.attn.bias"] = torch.tril(torch.ones(n, n)).view(1, 1, n, n)
    dbuf = save_checkpoint("gpt2_with_buffers", cfg, Wbuf)
    verify_checkpoint(dbuf, Wbuf)
    gold_buf, _ = compute_golden("gpt2_with_buffers", "gpt2", cfg, Wbuf, ids)
    for k in gold:
        assert torch.equal(gold_buf[k], gold[k]), k

    # 4. starcoder2
    cfg, W = make_starcoder2()
    ids = make_ids(44, cfg["vocab_size"])
    d = save_checkpoint("starcoder2", cfg, W)
    gold, summary["starcoder2"] = compute_golden("starcoder2", "starcoder2", cfg, W, ids)
    save_golden(d, gold)
    verify_checkpoint(d, W)

    for name in ["qwen2", "llama", "llama_sharded", "llama_bf16", "gpt2", "gpt2_with_buffers", "starcoder2"]:
        write_byte_tokenizer(os.path.join(HERE, name))

    print("f32-vs-f64 max abs diff per checkpoint:", {k: f"{v:.3e}" for k, v in summary.items()})
    for name in ["qwen2", "llama", "llama_bf16", "gpt2", "starcoder2"]:
        _, hdr = read_safetensors(os.path.join(HERE, name, "golden.safetensors"))
        print(f"{name}/golden.safetensors:",
              ", ".join(f"{k}{hdr[k]['shape']}:{hdr[k]['dtype']}" for k in sorted(hdr)))


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable-character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def write_byte_tokenizer(directory):
    """A byte-level BPE tokenizer.json with no merges: token id == byte value (vocab 256), so the
    tiny random checkpoints can be driven from source text by the command line."""
    table = bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": []},
    }
    write_json(os.path.join(directory, "tokenizer.json"), tok)


if __name__ == "__main__":
    main()
