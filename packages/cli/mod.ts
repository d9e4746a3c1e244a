/**
 * The `lowbit` command line (inspect, quantize and compare ONNX models) and its image loading
 * for calibration data.
 *
 * @module
 */

export * from "./image.ts";
export * from "./inputs.ts";
export * from "./progress.ts";
export * from "./inspect.ts";
export * from "./main.ts";
