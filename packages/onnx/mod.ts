/**
 * ONNX and TensorFlow.js model import and ONNX export for lowbit graphs.
 *
 * @module
 */

export * from "./import_onnx.ts";
export * from "./export_onnx.ts";
export * from "./tfjs.ts";
export * from "./upgrade.ts";
export * from "./qoperator.ts";
