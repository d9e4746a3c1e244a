// The ONNX node test vectors of every tensor op: each test directory whose nodes all belong to
// TENSOR_OPS runs through runFloat and must match its output_*.pb (integers exactly, floats
// within the ONNX backend tolerance). Directories `unsupported` names are skipped
// (reported as ignored) with the reason by `unsupported`.

import { runFloat } from "../executor.ts";
import { TENSOR_OPS } from "./tensor.ts";
import { compareTensors, loadNodeTest, NODE_TESTDATA } from "./_tensor_testdata_test_util.ts";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Why a test directory for a tensor op is deliberately unsupported, or `undefined`. */
function unsupported(name: string): string | undefined {
  if (/BFLOAT16/.test(name)) return "bfloat16 is not a graph dtype";
  if (/STRING/.test(name)) return "string tensors are not a graph dtype";
  if (/uint64/.test(name)) return "uint64 is not a graph dtype";
  if (/^test_identity_(opt|sequence)$/.test(name)) return "optional/sequence values";
  if (/^test_training_dropout(_default|_mask|_default_mask)?$/.test(name)) {
    return "training-mode Dropout draws random masks";
  }
  return undefined;
}

function candidates(): string[] {
  const out: string[] = [];
  let names: string[] = [];
  try {
    names = [...Deno.readDirSync(NODE_TESTDATA)].map((e) => e.name).sort();
  } catch {
    return [];
  }
  for (const name of names) {
    let ops: string[];
    try {
      const m = onnx.ModelProto.decode(Deno.readFileSync(`${NODE_TESTDATA}/${name}/model.onnx`));
      ops = (m.graph?.node ?? []).map((n) => (n.domain ? `${n.domain}.` : "") + (n.opType ?? ""));
    } catch {
      continue;
    }
    if (ops.length > 0 && ops.every((op) => Object.hasOwn(TENSOR_OPS, op))) out.push(name);
  }
  return out;
}

const CASES = candidates();

function runCase(name: string): string | undefined {
  const t = loadNodeTest(`${NODE_TESTDATA}/${name}`);
  const got = runFloat(t.graph, t.inputs);
  for (const [k, e] of Object.entries(t.expected)) {
    const diff = compareTensors(got[k], e);
    if (diff !== undefined) return `output ${k}: ${diff}`;
  }
  return undefined;
}

if (Deno.env.get("ONNX_VECTORS_SUMMARY")) {
  let pass = 0;
  for (const name of CASES) {
    let msg: string | undefined;
    try {
      msg = runCase(name);
    } catch (e) {
      msg = `throws ${(e as Error).message}`;
    }
    if (msg === undefined) pass++;
    else console.log(`FAIL ${name}${unsupported(name) ? " (known unsupported)" : ""}: ${msg}`);
  }
  console.log(`ONNX vectors: ${pass}/${CASES.length} pass`);
}

for (const name of CASES) {
  const reason = unsupported(name);
  Deno.test({
    name: `onnx node vector ${name}${reason ? ` (unsupported: ${reason})` : ""}`,
    ignore: reason !== undefined,
    fn() {
      const msg = runCase(name);
      if (msg !== undefined) throw new Error(`${name}: ${msg}`);
    },
  });
}
