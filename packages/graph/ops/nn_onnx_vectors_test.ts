// The ONNX node test vectors of the NN ops: every test directory whose nodes all belong to
// NN_OPS runs through runFloat and must match its output_*.pb within rtol 1e-3, atol 1e-5
// (the ONNX backend-test tolerances, atol widened from 1e-7 for float32 sums). Directories
// that `unsupported` names are reported as ignored with the reason.

import { runFloat } from "../executor.ts";
import { NN_OPS } from "./nn.ts";
import { compareTensors, loadNodeTest, NODE_TESTDATA } from "./_tensor_testdata_test_util.ts";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

function unsupported(name: string): string | undefined {
  if (/cubic|tf_crop_and_resize|_axes_|keep_aspect|half_pixel_symmetric/.test(name)) {
    return "Resize mode not supported";
  }
  if (/^test_(averagepool|maxpool|conv|convtranspose)_3d/.test(name)) {
    return "3-D spatial not supported";
  }
  if (/training_mode|with_argmax/.test(name)) return "training outputs / Indices output";
  if (/int8|uint8|_bfloat16|fp16|float16/.test(name)) return "float32 only";
  return undefined;
}

function candidates(): string[] {
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(NODE_TESTDATA)].map((e) => e.name).sort();
  } catch {
    return [];
  }
  return names.filter((name) => {
    try {
      const m = onnx.ModelProto.decode(Deno.readFileSync(`${NODE_TESTDATA}/${name}/model.onnx`));
      const ops = (m.graph?.node ?? []).map((n) => (n.domain ? "x" : "") + (n.opType ?? ""));
      return ops.length > 0 && ops.every((o) => o in NN_OPS);
    } catch {
      return false;
    }
  });
}

for (const name of candidates()) {
  const why = unsupported(name);
  Deno.test({
    name: `onnx vector ${name}${why ? ` (${why})` : ""}`,
    ignore: why !== undefined,
    fn() {
      const t = loadNodeTest(`${NODE_TESTDATA}/${name}`);
      const got = runFloat(t.graph, t.inputs);
      for (const [k, e] of Object.entries(t.expected)) {
        const d = compareTensors(got[k], e, 1e-3, 1e-5);
        if (d !== undefined) throw new Error(`${name} output ${k}: ${d}`);
      }
    },
  });
}
