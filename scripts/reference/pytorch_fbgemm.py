"""Reference data for @lowbit/runtime's PyTorch numerics (fused.ts `floatBias`): quantized
Linear / Linear+ReLU / Conv2d / depthwise Conv2d outputs of torch's fbgemm engine on seeded
random codes, written once to packages/runtime/testdata/pytorch_fbgemm.json (committed; tests
never run Python).

Run (offline wheels, see docs/reference-data.md):
  python3 -m venv /tmp/tv && /tmp/tv/bin/pip install --index-url file:///opt/pypi/simple \
      --find-links /opt/wheels torch==2.13.0 numpy
  /tmp/tv/bin/python scripts/reference/pytorch_fbgemm.py
"""
import json
import pathlib
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
torch.backends.quantized.engine = "fbgemm"
rng = np.random.default_rng(2026)


def qx_of(shape, sx, zx):
    x = torch.tensor(rng.normal(size=shape).astype(np.float32))
    return torch.quantize_per_tensor(x, sx, zx, torch.quint8)


def qw_of(w, per_channel):
    o = w.shape[0]
    if per_channel:
        s = torch.tensor(np.abs(w.reshape(o, -1)).max(1) / 127, dtype=torch.float64)
        return torch.quantize_per_channel(torch.tensor(w), s, torch.zeros(o, dtype=torch.long), 0, torch.qint8)
    return torch.quantize_per_tensor(torch.tensor(w), float(np.abs(w).max() / 127), 0, torch.qint8)


def scales(qw):
    if qw.qscheme() == torch.per_channel_affine:
        return [float(v) for v in qw.q_per_channel_scales()]
    return [float(qw.q_scale())]


def case(name, kind, qx, qw, bias, sy, zy, y, **geom):
    return {
        "name": name,
        "kind": kind,
        "x": {"shape": list(qx.shape), "scale": float(qx.q_scale()), "zeroPoint": int(qx.q_zero_point()),
              "q": qx.int_repr().flatten().tolist()},
        "weight": {"shape": list(qw.shape), "scale": scales(qw), "q": qw.int_repr().flatten().tolist()},
        "bias": bias.tolist(),
        "out": {"scale": sy, "zeroPoint": zy},
        "geometry": geom,
        "y": y.int_repr().flatten().tolist(),
    }


cases = []
for per_channel in (True, False):
    for relu in (False, True):
        M, K, N = 300, 33, 24
        qx = qx_of((M, K), 0.0371, 131)
        w = (rng.normal(size=(N, K)) * 0.3).astype(np.float32)
        b = rng.normal(size=(N,)).astype(np.float32)
        qw = qw_of(w, per_channel)
        packed = torch.ops.quantized.linear_prepack(qw, torch.tensor(b))
        op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
        sy, zy = 0.0473, 117
        y = op(qx, packed, sy, zy)
        cases.append(case(f"linear{'_relu' if relu else ''}_{'per_channel' if per_channel else 'per_tensor'}",
                          "linear", qx, qw, b, sy, zy, y, relu=relu))

for groups, cin, cout, stride, pad in ((1, 5, 8, 1, 1), (1, 4, 6, 2, 0), (8, 8, 8, 1, 1)):
    qx = qx_of((2, cin, 9, 11), 0.05, 120)
    w = (rng.normal(size=(cout, cin // groups, 3, 3)) * 0.4).astype(np.float32)
    b = rng.normal(size=(cout,)).astype(np.float32)
    qw = qw_of(w, True)
    packed = torch.ops.quantized.conv2d_prepack(qw, torch.tensor(b), [stride, stride], [pad, pad], [1, 1], groups)
    sy, zy = 0.061, 109
    y = torch.ops.quantized.conv2d(qx, packed, sy, zy)
    cases.append(case(f"conv2d_g{groups}_s{stride}_p{pad}", "conv2d", qx, qw, b, sy, zy, y,
                      stride=stride, padding=pad, groups=groups))

out = pathlib.Path(__file__).resolve().parents[2] / "packages/runtime/testdata/pytorch_fbgemm.json"
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps({"source": f"torch {torch.__version__}, engine fbgemm, scripts/reference/pytorch_fbgemm.py",
                           "cases": cases}, separators=(",", ":")) + "\n")
print(out, sum(len(c["y"]) for c in cases), "outputs")
