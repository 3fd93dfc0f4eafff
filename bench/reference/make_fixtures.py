#!/usr/bin/env python3
"""Writes the reference fixtures that the AlignFx tests compare against (no PyTorch needed to run those).

Run with a Python that has torch (Debian: /usr/bin/python3 after `apt-get install python3-torch`):

    /usr/bin/python3 bench/reference/make_fixtures.py [--out bench/reference/fixtures]

Files written (all little-endian safetensors, written by the small writer below, plus JSON):
  tiny_gpt_f32.safetensors / .json   small GPT forward, backward and two AdamW steps in float32
  tiny_gpt_f64.safetensors / .json   the same in float64, for tight comparisons
  ops_f64.safetensors / .json        cross_entropy (label smoothing, ignore_index), layer_norm,
                                     softmax, log_softmax, gelu and causal attention with gradients
  formats.safetensors                one tensor of each dtype and some metadata, to test the reader
"""

import argparse
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_gpt import GptConfig, TinyGpt, causal_attention, lm_loss  # noqa: E402

SEED = 20240611
CONFIG = GptConfig(vocab=16, context=8, d_model=16, heads=2, layers=2)
BATCH, SEQ = 2, 8
ADAMW = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)

# --- a minimal safetensors writer, straight from the format description -------------------------
# 8-byte little-endian u64 header length N; N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}}
# plus an optional "__metadata__" {str: str}, padded with spaces to a multiple of 8; then the packed
# little-endian data, the tensors back to back in header order.

_DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def _tensor_bytes(t):
    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the raw 16-bit patterns
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        data = _tensor_bytes(t)
        header[name] = {"dtype": _DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def read_back_header(path):
    """Re-parses what was written (a self-check of the writer above)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
        data_len = len(f.read())
    end = max([v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"], default=0)
    assert n % 8 == 0 and end == data_len, (path, n, end, data_len)
    return header


# --- fixtures -------------------------------------------------------------------------------------

def make_inputs(generator):
    inputs = torch.randint(0, CONFIG.vocab, (BATCH, SEQ), generator=generator)
    targets = torch.randint(0, CONFIG.vocab, (BATCH, SEQ), generator=generator)
    targets[0, :3] = -100  # masked prompt positions
    targets[1, 6] = -100
    return inputs, targets


def tiny_gpt_fixture(dtype, out_dir, tag):
    torch.manual_seed(SEED)
    model = TinyGpt(CONFIG)
    with torch.no_grad():
        # LayerNorm starts at weight 1, bias 0; perturb it so a swapped or ignored affine shows up.
        for name, p in model.named_parameters():
            if ".ln" in name or name.startswith("ln_f"):
                p.add_(0.1 * torch.randn_like(p))
    model = model.to(dtype)
    names = [n for n, _ in model.named_parameters()]
    inputs, targets = make_inputs(torch.Generator().manual_seed(SEED + 1))

    tensors = {"inputs": inputs, "targets": targets}
    tensors.update({n: p.detach().clone() for n, p in model.named_parameters()})

    optimizer = torch.optim.AdamW(model.parameters(), **ADAMW)
    logits = model(inputs)
    loss = lm_loss(logits, targets)
    optimizer.zero_grad()
    loss.backward()
    tensors["logits"] = logits.detach().clone()
    tensors["loss"] = loss.detach().clone()
    tensors.update({"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()})
    optimizer.step()
    tensors.update({"adamw1." + n: p.detach().clone() for n, p in model.named_parameters()})

    optimizer.zero_grad()
    loss2 = lm_loss(model(inputs), targets)
    loss2.backward()
    tensors["loss2"] = loss2.detach().clone()
    tensors.update({"grad2." + n: p.grad.detach().clone() for n, p in model.named_parameters()})
    optimizer.step()
    tensors.update({"adamw2." + n: p.detach().clone() for n, p in model.named_parameters()})

    st_name = f"tiny_gpt_{tag}.safetensors"
    write_safetensors(os.path.join(out_dir, st_name), tensors, {"generator": "bench/reference/make_fixtures.py"})
    read_back_header(os.path.join(out_dir, st_name))
    description = {
        "tensors_file": st_name,
        "dtype": tag,
        "seed": SEED,
        "torch_version": torch.__version__,
        "config": CONFIG.to_dict(),
        "batch": BATCH,
        "seq": SEQ,
        "dropout": 0.0,
        "layer_norm_eps": 1e-5,
        "gelu": "exact (erf)",
        "ignore_index": -100,
        "ignored_targets": int((targets == -100).sum()),
        "loss_reduction": "mean over non-ignored targets",
        "adamw": {"lr": ADAMW["lr"], "betas": list(ADAMW["betas"]), "eps": ADAMW["eps"],
                  "weight_decay": ADAMW["weight_decay"]},
        "parameter_names": names,
        "parameter_count": sum(p.numel() for p in model.parameters()),
        "loss": loss.item(),
        "loss2": loss2.item(),
        "layout": {
            "inputs/targets": "I64 [batch, seq]",
            "<name>": "initial parameters",
            "logits": "[batch, seq, vocab] before any step",
            "loss": "scalar before any step",
            "grad.<name>": "gradient of loss w.r.t. <name> at the initial parameters",
            "adamw1.<name>": "parameters after one AdamW step",
            "loss2": "scalar at the parameters after one step",
            "grad2.<name>": "gradient of loss2 w.r.t. <name> (at the parameters after one step)",
            "adamw2.<name>": "parameters after a second forward, backward and AdamW step",
        },
    }
    write_json(os.path.join(out_dir, f"tiny_gpt_{tag}.json"), description)
    return loss.item(), loss2.item()


def grads_of(outputs, inputs, grad_out):
    return torch.autograd.grad(outputs, inputs, grad_out)


def ops_fixture(out_dir):
    torch.manual_seed(SEED + 2)
    dt = torch.float64
    t, scalars = {}, {}

    # cross_entropy, mean reduction, ignore_index -100, with and without label smoothing 0.1
    logits = torch.randn(6, 5, dtype=dt, requires_grad=True)
    targets = torch.tensor([0, 3, -100, 4, 1, -100])
    t["ce.logits"], t["ce.targets"], t["ce.valid"] = logits.detach().clone(), targets, targets != -100
    for key, smoothing in (("ce", 0.1), ("ce_plain", 0.0)):
        loss = F.cross_entropy(logits, targets, ignore_index=-100, label_smoothing=smoothing)
        (g,) = torch.autograd.grad(loss, logits)
        t[f"{key}.loss"], t[f"{key}.grad_logits"] = loss.detach(), g
        scalars[f"{key}.loss"] = loss.item()
    scalars["ce.label_smoothing"] = 0.1

    # layer_norm over the last dimension, eps 1e-5
    x = torch.randn(3, 4, 8, dtype=dt, requires_grad=True)
    w = (1 + 0.2 * torch.randn(8, dtype=dt)).requires_grad_()
    b = (0.2 * torch.randn(8, dtype=dt)).requires_grad_()
    y = F.layer_norm(x, (8,), w, b, eps=1e-5)
    gy = torch.randn_like(y)
    gx, gw, gb = grads_of(y, (x, w, b), gy)
    t.update({"ln.x": x.detach(), "ln.weight": w.detach(), "ln.bias": b.detach(), "ln.out": y.detach(),
              "ln.grad_out": gy, "ln.grad_x": gx, "ln.grad_weight": gw, "ln.grad_bias": gb})

    # softmax and log_softmax over the last dimension
    x = torch.randn(3, 7, dtype=dt, requires_grad=True)
    gy = torch.randn(3, 7, dtype=dt)
    y = F.softmax(x, dim=-1)
    (gx,) = grads_of(y, (x,), gy)
    ly = F.log_softmax(x, dim=-1)
    (lgx,) = grads_of(ly, (x,), gy)
    t.update({"softmax.x": x.detach(), "softmax.out": y.detach(), "softmax.grad_out": gy, "softmax.grad_x": gx,
              "log_softmax.out": ly.detach(), "log_softmax.grad_x": lgx})

    # exact GELU
    x = torch.linspace(-4, 4, 21, dtype=dt).requires_grad_()
    y = F.gelu(x)
    gy = torch.randn(21, dtype=dt)
    (gx,) = grads_of(y, (x,), gy)
    t.update({"gelu.x": x.detach(), "gelu.out": y.detach(), "gelu.grad_out": gy, "gelu.grad_x": gx})

    # causal scaled dot-product attention, (B, H, T, hd)
    q, k, v = (torch.randn(2, 2, 8, 4, dtype=dt, requires_grad=True) for _ in range(3))
    y = causal_attention(q, k, v)
    gy = torch.randn_like(y)
    gq, gk, gv = grads_of(y, (q, k, v), gy)
    t.update({"attn.q": q.detach(), "attn.k": k.detach(), "attn.v": v.detach(), "attn.out": y.detach(),
              "attn.grad_out": gy, "attn.grad_q": gq, "attn.grad_k": gk, "attn.grad_v": gv})

    write_safetensors(os.path.join(out_dir, "ops_f64.safetensors"), t, {"generator": "bench/reference/make_fixtures.py"})
    read_back_header(os.path.join(out_dir, "ops_f64.safetensors"))
    write_json(os.path.join(out_dir, "ops_f64.json"), {
        "tensors_file": "ops_f64.safetensors",
        "seed": SEED + 2,
        "torch_version": torch.__version__,
        "scalars": scalars,
        "notes": {
            "ce": "F.cross_entropy(ce.logits, ce.targets, ignore_index=-100, label_smoothing=0.1), mean; "
                  "ce_plain: the same without smoothing; grad_logits = d loss / d logits",
            "ln": "F.layer_norm(ln.x, (8,), ln.weight, ln.bias, eps=1e-5); grads are vector-Jacobian products with ln.grad_out",
            "softmax": "softmax and log_softmax over dim -1 of softmax.x; both grads use softmax.grad_out",
            "gelu": "exact (erf) GELU; grad_x = gelu'(x) * grad_out",
            "attn": "causal softmax(q k^T / sqrt(4)) v over [B=2, H=2, T=8, hd=4]; grads use attn.grad_out",
        },
        "tensors": sorted(t.keys()),
    })


def formats_fixture(out_dir):
    """One small tensor per dtype the C# typed helpers read, plus metadata, a scalar and an empty tensor."""
    t = {
        "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, -0.0, 1e-30]], dtype=torch.float32),
        "f64": torch.tensor([3.141592653589793, -1e300, 2.5], dtype=torch.float64),
        "f16": torch.tensor([1.0, -0.5, 65504.0, 6.103515625e-05], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.5, 1.5e38, 0.0078125], dtype=torch.bfloat16),
        "i64": torch.tensor([[-9223372036854775807 - 1, 9223372036854775807], [0, -1]], dtype=torch.int64),
        "i32": torch.tensor([-2147483648, 2147483647, 7], dtype=torch.int32),
        "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
        "bool": torch.tensor([[True, False], [False, True]]),
        "scalar": torch.tensor(42.0, dtype=torch.float32),
        "empty": torch.zeros(2, 0, dtype=torch.float32),
    }
    write_safetensors(os.path.join(out_dir, "formats.safetensors"), t,
                      {"format": "pt", "note": "written by make_fixtures.py, ünïcödé kept"})
    read_back_header(os.path.join(out_dir, "formats.safetensors"))


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for dtype, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
        loss, loss2 = tiny_gpt_fixture(dtype, args.out, tag)
        print(f"tiny_gpt_{tag}: loss={loss:.10f} loss2={loss2:.10f}")
    ops_fixture(args.out)
    formats_fixture(args.out)
    print(f"fixtures written to {args.out}")


if __name__ == "__main__":
    main()
