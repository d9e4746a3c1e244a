// Private: the layout of the pool's control block (an Int32Array over a SharedArrayBuffer).
// Index 0 counts finished jobs; worker w (1-based) owns SLOT ints at w·SLOT: a sequence
// number (bumped to start a job), the op code and its arguments.

/** Ints per worker slot. */
export const SLOT = 16;
/** Offset of the sequence number in a slot. */
export const SLOT_SEQ = 0;
/** Offset of the op code in a slot. */
export const SLOT_OP = 1;
/** Offset of the first argument in a slot. */
export const SLOT_ARGS = 2;

/** Op codes. */
export const OP = {
  exit: 0,
  gemmF32: 1,
  gemmInt8: 2,
  gemvInt8: 3,
  gemmNarrow: 4,
  gemmDp: 5,
  gemvDp: 6,
  bits: 7,
} as const;
