import { deepEqual, equal, ok, rejects, throws } from "node:assert/strict";
import { PrecisionError, TargetError } from "./errors.ts";
import { costModel } from "./cost.ts";
import { uniform } from "./precision.ts";
import { graph, node } from "./_test_util.ts";
import { loadTarget, parseTarget, type TargetFile } from "./target.ts";

const S = "test";
const base = (): TargetFile => ({
  name: "t",
  description: "d",
  clock: { value: 100, unit: "MHz", source: S },
  peak: { int8: { value: 2, unit: "MAC/cycle/core", source: S } },
  memory: [{ name: "m", kind: "sram", holds: ["weights", "activations"] }],
});
const frac = (value: number) => ({ value, unit: "fraction", source: S });
const eff = () => ({
  conv: frac(0.5),
  depthwise: frac(0.25),
  pointwise: frac(0.4),
  gemm: frac(0.1),
});
const errAt = (path: string) => (e: unknown) => e instanceof TargetError && e.path === path;

Deno.test("schema errors name the JSON path of the missing or bad field", () => {
  const cases: [string, (f: Record<string, unknown>) => void][] = [
    ["$.name", (f) => delete f.name],
    ["$.peak", (f) => delete f.peak],
    ["$.memory", (f) => (f.memory = [])],
    ["$.clock.unit", (f) => (f.clock = { value: 1, unit: "Mhz", source: S })],
    ["$.clock.source", (f) => (f.clock = { value: 1, unit: "MHz" })],
    ["$.clock.value", (f) => (f.clock = { value: -1, unit: "MHz", source: S })],
    ["$.clock", (f) => delete f.clock], // needed by the per-cycle int8 peak
    ["$.peak.int3", (f) => (f.peak = { int3: { value: 1, unit: "TOPS", source: S } })],
    ["$.peak.int8.unit", (f) => (f.peak = { int8: { value: 1, unit: "TOPs", source: S } })],
    ["$.memory[0].kind", (f) => (f.memory = [{ name: "m", kind: "tape", holds: ["weights"] }])],
    ["$.memory[0].holds", (f) => (f.memory = [{ name: "m", kind: "sram", holds: [] }])],
    ["$.memory[0].size.unit", (f) => (f.memory = [{
      name: "m",
      kind: "sram",
      holds: ["weights", "activations"],
      size: { value: 1, unit: "kb", source: S },
    }])],
    ["$.memory", (f) => (f.memory = [{ name: "m", kind: "sram", holds: ["weights"] }])],
    ["$.cores.value", (f) => (f.cores = { value: 1.5, unit: "count", source: S })],
    ["$.opClassRate.fft", (f) => (f.opClassRate = { fft: {} })],
    [
      "$.opClassRate.conv.int8.unit",
      (f) => (f.opClassRate = { conv: { int8: { value: 1, unit: "GMAC/s", source: S } } }),
    ],
    ["$.nodeOverhead.unit", (f) => (f.nodeOverhead = { value: 1, unit: "µs", source: S })],
    ["$.supportedOps.ops", (f) => (f.supportedOps = { ops: [], source: S })],
    ["$.supportedOps.source", (f) => (f.supportedOps = { ops: ["Conv"] })],
    ["$.fusedActivations", (f) => (f.fusedActivations = ["Relu"])],
    ["$.fusedActivations.ops", (f) => (f.fusedActivations = {
      precisions: ["int8"],
      ops: [],
      producers: ["Conv"],
      source: S,
    })],
    ["$.fusedActivations.precisions[1]", (f) => (f.fusedActivations = {
      precisions: ["int8", "int3"],
      ops: ["Relu"],
      producers: ["Conv"],
      source: S,
    })],
    ["$.fusedActivations.producers", (f) => (f.fusedActivations = {
      precisions: ["int8"],
      ops: ["Relu"],
      source: S,
    })],
    ["$.fusedActivations.source", (f) => (f.fusedActivations = {
      precisions: ["int8"],
      ops: ["Relu"],
      producers: ["Conv"],
    })],
    ["$.fusedActivations.seconds.value", (f) => (f.fusedActivations = {
      precisions: ["int8"],
      ops: ["Relu"],
      producers: ["Conv"],
      source: S,
      seconds: { value: -1, unit: "us", source: S },
    })],
    ["$.fusedActivations.seconds.unit", (f) => (f.fusedActivations = {
      precisions: ["int8"],
      ops: ["Relu"],
      producers: ["Conv"],
      source: S,
      seconds: { value: 1, unit: "µs", source: S },
    })],
    ["$.stacks.s.description", (f) => (f.stacks = { s: { efficiency: eff() } })],
    ["$.stacks.s.efficiency.gemm", (f) => {
      const e = eff() as Record<string, unknown>;
      delete e.gemm;
      f.stacks = { s: { description: "d", efficiency: e } };
    }],
    [
      "$.stacks.s.efficiency.fft",
      (f) => (f.stacks = { s: { description: "d", efficiency: { ...eff(), fft: frac(0.5) } } }),
    ],
    [
      "$.stacks.s.efficiency.conv.value",
      (f) => (f.stacks = { s: { description: "d", efficiency: { ...eff(), conv: frac(1.5) } } }),
    ],
    ["$.stacks.s.efficiency.conv.unit", (f) => (f.stacks = {
      s: { description: "d", efficiency: { ...eff(), conv: { value: 50, unit: "%", source: S } } },
    })],
    ["$.stacks.s.runPower.unit", (f) => (f.stacks = {
      s: { description: "d", efficiency: eff(), runPower: { value: 1, unit: "mA", source: S } },
    })],
    ["$.clock", (f) => {
      f.peak = { int8: { value: 1, unit: "GMAC/s", source: S } };
      delete f.clock; // cycles need the clock
      f.stacks = {
        s: {
          description: "d",
          efficiency: eff(),
          layerOverhead: { value: 9, unit: "cycles", source: S },
        },
      };
    }],
  ];
  for (const [path, edit] of cases) {
    const f = base() as unknown as Record<string, unknown>;
    edit(f);
    throws(() => parseTarget(f), errAt(path), path);
  }
  throws(() => parseTarget([]), errAt("$"));
  equal(parseTarget(base()).peak.int8, 2e8); // the unedited file is valid
});

Deno.test("units convert as the datasheets state them", () => {
  const t = parseTarget({
    ...base(),
    cores: { value: 4, unit: "count", source: S },
    peak: {
      int8: { value: 2, unit: "MAC/cycle/core", source: S },
      fp16: { value: 65, unit: "TFLOPS", source: S },
      int4: { value: 260, unit: "TOPS", source: S },
      fp32: { value: 3, unit: "GMAC/s", source: S },
    },
    memory: [{
      name: "m",
      kind: "link",
      holds: ["weights", "activations", "io"],
      size: { value: 8, unit: "MiB", source: S },
      bandwidth: { value: 5, unit: "Gbit/s", source: S },
      energy: { value: 10, unit: "pJ/64b", source: S },
    }],
  });
  deepEqual(t.peak, { int8: 8e8, fp16: 32.5e12, int4: 130e12, fp32: 3e9 });
  equal(t.nodeOverhead, 0);
  const r = parseTarget({
    ...base(),
    opClassRate: { pool: { int8: { value: 3, unit: "op/cycle/core", source: S } } },
    nodeOverhead: { value: 250, unit: "ns", source: S },
  });
  deepEqual([r.opClassRate.pool?.int8, Math.round(r.nodeOverhead * 1e12)], [3e8, 250000]);
  deepEqual(
    [t.levels[0].size, t.levels[0].bandwidth, t.levels[0].energyPerByte],
    [8 * 1024 * 1024, 625e6, 1.25],
  );
});

Deno.test("software stacks: efficiencies, overhead in cycles, run power", () => {
  const t = parseTarget({
    ...base(),
    stacks: {
      ref: {
        description: "reference kernels",
        efficiency: eff(),
        layerOverhead: { value: 500, unit: "cycles", source: S },
        runPower: { value: 40, unit: "mW", source: S },
      },
    },
  });
  deepEqual(t.stacks.ref.efficiency, { conv: 0.5, depthwise: 0.25, pointwise: 0.4, gemm: 0.1 });
  equal(t.stacks.ref.layerOverhead, 500 / 100e6); // 500 cycles at 100 MHz = 5 µs
  equal(t.stacks.ref.runPower, 0.04);
  deepEqual(parseTarget(base()).stacks, {});
});

Deno.test("every hardware/*.json loads and every number carries value, unit and source", async () => {
  const dir = new URL("../../hardware/", import.meta.url);
  const names: string[] = [];
  for await (const f of Deno.readDir(dir)) {
    if (f.name.endsWith(".json") && f.name !== "validation.json") names.push(f.name);
  }
  ok(names.length >= 7, `only ${names.length} target files`);
  const walk = (v: unknown, path: string): void => {
    if (typeof v === "number") throw new Error(`${path}: bare number ${v}`);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if ("value" in o) {
        ok(typeof o.value === "number" && typeof o.unit === "string", path);
        ok(typeof o.source === "string" && o.source.length > 10, `${path}: no source`);
        return;
      }
      for (const [k, x] of Object.entries(o)) walk(x, `${path}.${k}`);
    }
  };
  for (const n of names) {
    const text = await Deno.readTextFile(new URL(n, dir));
    walk(JSON.parse(text), n);
    const t = await loadTarget(new URL(n, dir));
    equal(`${t.name}.json`, n);
  }
});

Deno.test("datasheet peaks land as MAC/s (2 ops per MAC)", async () => {
  const dir = new URL("../../hardware/", import.meta.url);
  const t4 = await loadTarget(new URL("nvidia-t4.json", dir));
  deepEqual(t4.peak, { fp32: 4.05e12, fp16: 32.5e12, int8: 65e12, int4: 130e12 });
  const tpu = await loadTarget(new URL("edge-tpu-usb.json", dir));
  deepEqual(tpu.peak, { int8: 2e12 });
  const m4 = await loadTarget(new URL("cortex-m4f-stm32l4r5.json", dir));
  equal(m4.peak.int8, 2 * 120e6);
  equal(m4.levels[0].bandwidth, 4 * 120e6);
  const rpi = await loadTarget(new URL("rpi4-cortex-a72.json", dir));
  equal(rpi.peak.fp32, 4 * 4 * 1.5e9);
  const h100 = await loadTarget(new URL("nvidia-h100.json", dir));
  deepEqual([h100.peak.int8, h100.peak.fp8, h100.peak.int4], [
    1978.9e12 / 2,
    1978.9e12 / 2,
    undefined,
  ]);
  const gap9 = await loadTarget(new URL("gap9.json", dir));
  deepEqual([gap9.peak.int8, gap9.peak.fp16, gap9.peak.fp32], [25e9, 14e9, undefined]);
  const gap8 = await loadTarget(new URL("gap8.json", dir));
  deepEqual([gap8.peak.int8, gap8.peak.fp32, gap8.cores], [5e9, undefined, 8]);
  const m85 = await loadTarget(new URL("cortex-m85.json", dir));
  equal(m85.peak.int8, 8 * 480e6);
});

Deno.test("a precision the target lacks is a PrecisionError naming precision, target and node", async () => {
  const dir = new URL("../../hardware/", import.meta.url);
  const g = graph(["x", [1, 16]], [node("fc", "Gemm", ["x", "w"], ["y"], { transB: 1 })], ["y"], {
    w: [4, 16],
  });
  for (
    const [file, p] of [["nvidia-h100.json", "int4"], ["gap8.json", "fp32"], [
      "gap9.json",
      "binary",
    ]] as const
  ) {
    const t = await loadTarget(new URL(file, dir));
    throws(
      () => costModel(g, t, uniform(p)),
      (e: unknown) =>
        e instanceof PrecisionError && e.precision === p && e.target === t.name &&
        e.message.includes("(node fc)"),
      file,
    );
  }
});

Deno.test("loadTarget: invalid JSON is a TargetError at $", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(path, "{ not json");
    await rejects(loadTarget(path), errAt("$"));
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("hardware/validation.json: every point names a target file and a sourced measurement", async () => {
  const dir = new URL("../../hardware/", import.meta.url);
  const v = JSON.parse(await Deno.readTextFile(new URL("validation.json", dir))) as {
    points: {
      id: string;
      target: string;
      quantity: string;
      measured: { value: number; unit: string; source: string };
    }[];
  };
  ok(v.points.length >= 8);
  for (const p of v.points) {
    await loadTarget(new URL(`${p.target}.json`, dir));
    ok(p.measured.value > 0 && p.measured.source.length > 10, p.id);
    equal(p.measured.unit, p.quantity === "latency" ? "ms" : "uJ", p.id);
  }
});
