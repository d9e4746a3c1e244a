/**
 * ONNX and TensorFlow.js model import and ONNX export for lowbit graphs.
 *
 * @module
 */

export {};
export * from "./tfjs.ts";
