"""Peer reference for issue 12's classifier target: onnxruntime's own quantize_static (QDQ,
per-channel int8 weights, uint8 activations) on the PP-OCR direction classifier, calibrated on
the same 64 images as `deno task eval:real-models` (48 rendered lines + 16 photo crops), and
its top-1 agreement with float onnxruntime on the same 300 test lines and 100 test photo crops
(and the 100 + 100 development images). Writes scripts/reference/ort_cls_agreement.json
(committed; tests never run Python).

The opset-9 file is converted to opset 13 first: with per_channel the quantizer writes
DequantizeLinear nodes with an `axis` attribute, which opset 9/10 do not allow.

Run (inputs from ort_cls_inputs.ts):
  pip install onnxruntime==1.30.0 onnx
  deno run -A scripts/reference/ort_cls_inputs.ts /tmp/clsref
  python3 scripts/reference/ort_quantize_static_cls.py <path of ch_ppocr_mobile_v2.0_cls_infer.onnx> /tmp/clsref
"""
import json
import pathlib
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)

model_path, data = sys.argv[1], pathlib.Path(sys.argv[2])
shape = (3, 48, 192)


def load(name):
    a = np.fromfile(data / f"{name}.f32", dtype="<f4")
    return a.reshape((-1, 1) + shape)


sets = {k: load(k) for k in ["calib", "lines", "crops", "devlines", "devcrops"]}
work = pathlib.Path("/tmp/ort_cls_work")
work.mkdir(exist_ok=True)
m13 = version_converter.convert_version(onnx.load(model_path), 13)
f13 = work / "cls_opset13.onnx"
onnx.save(m13, f13)
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC


def run(path, xs):
    s = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: x})[0] for x in xs])


class Reader(CalibrationDataReader):
    def __init__(self, name):
        self.it = iter([{"x": x} for x in sets["calib"]])

    def get_next(self):
        return next(self.it, None)


floats = {k: run(f13, v) for k, v in sets.items() if k != "calib"}
out = {"model": pathlib.Path(model_path).name, "onnxruntime": ort.__version__,
       "quantizer": "onnxruntime.quantization.quantize_static, QDQ, per_channel=True, weights QInt8, activations QUInt8, opset 13",
       "calibration": "64 images: 48 rendered lines (Philox 11/1) + 16 photo crops (11/2), as scripts/real_models_eval.ts",
       "results": []}
for method in [CalibrationMethod.MinMax, CalibrationMethod.Entropy, CalibrationMethod.Percentile]:
    q = work / f"cls_{method.name}.onnx"
    t = time.time()
    quantize_static(str(f13), str(q), Reader("calib"), quant_format=QuantFormat.QDQ, per_channel=True,
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                    calibrate_method=method)
    row = {"calibrator": method.name, "seconds": round(time.time() - t, 1)}
    for k, f in floats.items():
        y = run(q, sets[k])
        row[k] = {"n": len(f), "agree": int(((f[:, 1] > f[:, 0]) == (y[:, 1] > y[:, 0])).sum())}
    n = row["lines"]["n"] + row["crops"]["n"]
    row["combined"] = {"n": n, "agree": row["lines"]["agree"] + row["crops"]["agree"]}
    print(json.dumps(row))
    out["results"].append(row)
pathlib.Path(__file__).with_name("ort_cls_agreement.json").write_text(json.dumps(out, indent=1) + "\n")
