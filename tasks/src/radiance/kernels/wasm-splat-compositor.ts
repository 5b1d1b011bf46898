// The splat fast path's compositing loop as a WebAssembly SIMD kernel: one 8x8 tile per call, four pixels of a
// row (a half row) per f32x4. The tile's list is visited front to back; each entry is the address of its
// Gaussian's record (gaussian-rasterizer.ts's packed layout, written by its binning straight into this
// module's memory, once per Gaussian, in depth order). Per entry the rows of its radius square within the
// ellipse's reach, per row the ellipse's span (scalar sqrt, widened by SPAN_SLACK), per half row that meets the
// span and has live lanes, per lane: power = -a dx^2 / 2 - b dx dy - c dy^2 / 2, alpha = min(0.99, opacity *
// exp(power)) (exp as 2^n times a degree-4 polynomial in the fraction: relative error under 5e-6, against the
// JS table's 1e-5), skipped where power > 0 or alpha < minAlpha, stopped (without compositing) where
// transmittance would fall under 1e-4 and after compositing where it falls under stopTransmittance, the median
// depth taken where it crosses 0.5. Arithmetic is f32 (the JS loop's is f64): the images agree to ~100 dB
// (tasks/test/radiance-wasm-splat.test.ts). The tile's state (transmittance, rgb, median depth, live lanes)
// stays in the module's memory for the caller to read. The module is assembled byte by byte (@strata/shared's
// wasmAssembly), its text format beside the parts.

import { wasmAssembly as W } from '@strata/shared';

/**
 * Floats per packed tile-list entry of the JS loop and per Gaussian record of the kernel (64 bytes: the same
 * layout), and the slots of the fields that only the kernel reads.
 */
export const SPLAT_ENTRY_FLOATS = 16;
const RECORD_BYTES = 4 * SPLAT_ENTRY_FLOATS;
/**
 * u v a b c opacity r g b depth radius (float32), then xFirst xLast yFirst yLast (int32) at slots 11..14, then
 * the ellipse's cut (where alpha reaches minAlpha: a dx^2 + 2 b dx dy + c dy^2 <= cut), slightly widened.
 */
export const ENTRY_X_FIRST = 11;
export const ENTRY_CUT = 15;
/** Pixels of slack on each side of a row's span (f32 rounding never drops a pixel the alpha test would take). */
const SPAN_SLACK = 0.01;
/** The tile's 16 vectors of state, 96 bytes each: T, r, g, b, depth (f32x4), live lanes (i32x4). */
const VECTOR_BYTES = 96;
export const SPLAT_STATE_FLOATS = VECTOR_BYTES / 4;
const RECORDS_OFFSET = 2048;

const { I32, F32, V128, PAGE_BYTES, simd, localGet: get, localSet: set, localTee: tee, i32Const, uleb128 } = W;

const f32Bytes = (value: number): number[] => [...new Uint8Array(Float32Array.of(value).buffer)];
const f32Const = (value: number): number[] => [0x43, ...f32Bytes(value)];
const f32x4Const = (value: number): number[] => [
  ...simd(0x0c),
  ...f32Bytes(value),
  ...f32Bytes(value),
  ...f32Bytes(value),
  ...f32Bytes(value),
];
const i32x4Const = (lanes: readonly number[]): number[] => [...simd(0x0c), ...new Uint8Array(Int32Array.from(lanes).buffer)];
const load128 = (offset: number): number[] => [...simd(0x00), 4, ...uleb128(offset)];
const store128 = (offset: number): number[] => [...simd(0x0b), 4, ...uleb128(offset)];
const f32Load = (offset: number): number[] => [0x2a, 2, ...uleb128(offset)];
const i32Load = (offset: number): number[] => [0x28, 2, ...uleb128(offset)];
const [f32x4Splat, i32x4Splat] = [simd(0x13), simd(0x11)];
const [f32x4Add, f32x4Sub, f32x4Mul] = [simd(0xe4), simd(0xe5), simd(0xe6)];
const [f32x4Lt, f32x4Le, f32x4Ge] = [simd(0x43), simd(0x45), simd(0x46)];
const [f32x4Pmin, f32x4Pmax, f32x4Floor] = [simd(0xea), simd(0xeb), simd(0x68)];
const [i32x4Add, i32x4Sub, i32x4Shl, i32x4GeS, i32x4LeS] = [simd(0xae), simd(0xb1), simd(0xab), simd(0x3f), simd(0x3d)];
const convertS = simd(0xfa);
const [v128And, v128AndNot, bitselect, anyTrue] = [simd(0x4e), simd(0x4f), simd(0x52), simd(0x53)];
const extractLane = (lane: number): number[] => [...simd(0x1b), lane];
const [f32Add, f32Sub, f32Mul, f32Neg, f32FromI32] = [[0x92], [0x93], [0x94], [0x8c], [0xb2]];
const [i32Sub, i32Mul, i32Shl, i32Add] = [[0x6b], [0x6c], [0x74], W.i32Add];
const [i32GtS, i32LtS, i32LeS, i32GeU, i32Eqz, select] = [[0x4a], [0x48], [0x4c], [0x4f], [0x45], [0x1b]];
const drop = [0x1a];
const [ifBlock, block, end, brIf] = [[0x04, 0x40], [0x02, 0x40], [0x0b], (depth: number) => [0x0d, depth]];

/** 2^f on [0, 1): a least-squares fit of degree 4 with p(0) = 1 (f32 coefficients; exp's relative error 4.3e-6). */
const EXP2 = [1, 0.6930440068244934, 0.2412828654050827, 0.0522405169904232, 0.01342678815126419];
/** floor(t) + MAGIC holds floor(t) + 127 in its low mantissa bits: shifted left 23, 2^floor(t)'s bits. */
const MAGIC = 127 + 2 ** 23;

// Parameters: 0 start, 1 end (byte offsets of the tile's list of record addresses), 2 x0, 3 y0, 4 cols, 5 rows
// (the tile's live pixels), 6 stopT, 7 minAlpha (f32). Locals: i32 8..18, f32 19..30, v128 31..74 (the last
// 12: constants).
const [START, END, X0, Y0, COLS, ROWS, STOPT, MINA] = [0, 1, 2, 3, 4, 5, 6, 7];
const [K, XA, XB, YA, YB, Y, RADDR, LIVEV, YMAX, XMAX, REC] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const [V, NB, HC, DY, AS, BS, CS, IA, CUT, US, BDY, ROOT] = [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30];
const [PXF, PXI, CM] = [31, 33, 35]; // two each, one per half row
const [U, HA, OP, CR, CG, CB, CZ, ROWLIN, ROWC, COUNT, STOP, MINAV] = [37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48];
const [LIVE, M, DX, POW, TT, N, ALPHA, T, NT, COMP, WT, F2, LO, HI] = [49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62];
const CONSTANTS_AT = 63;

/** The half rows' constants, splatted once per call into locals from CONSTANTS_AT on (not rebuilt per use). */
const CONSTANTS = [0, Math.LOG2E, -60, 1, EXP2[1], EXP2[2], EXP2[3], EXP2[4], MAGIC, 0.99, 1e-4, 0.5];
const constant = (value: number): number[] => {
  const at = CONSTANTS.indexOf(value);
  if (at < 0) throw new Error(`wasm splat compositor: ${value} is not among the constants`);
  return get(CONSTANTS_AT + at);
};

/** max or min of i32 local `a` and the i32 on the stack (select: the stack value where `better`), into `a`. */
const clampInto = (a: number, other: number, greater: boolean): number[] => [
  ...tee(a),
  ...get(other),
  ...get(a),
  ...get(other),
  ...(greater ? i32GtS : i32LtS),
  ...select,
  ...set(a),
];

/*
 * One half row h (pixels x0 + 4h .. x0 + 4h + 3 of row y, state vector at RADDR + 96h):
 * (if (v128.any_true (local.tee $m (v128.and (local.tee $live (v128.load live)) $cm_h)))
 *   dx = u - px_h; power = dx (ha dx + rowlin) + rowc; m &= power <= 0
 *   t = pmax(power log2e, -60); n = floor(t); f = t - n; e = poly(f) * bits((trunc(n) + 127) << 23)
 *   alpha = pmin(op e, 0.99); m &= alpha >= minAlpha; nt = T (1 - alpha); comp = m & !(nt < 1e-4)
 *   w = (alpha T) & comp; rgb += w c; depth = bitselect(z, depth, comp & T >= 0.5 & nt < 0.5)
 *   T = bitselect(nt, T, comp); live &= !(m & nt < stop); count -= comp; (if (!any_true live) livev--))
 */
function halfRow(h: number): number[] {
  const o = h * VECTOR_BYTES;
  const addr = get(RADDR);
  return [
    ...addr,
    ...load128(o + 80),
    ...tee(LIVE),
    ...get(CM + h),
    ...v128And,
    ...get(PXF + h),
    ...get(LO),
    ...f32x4Ge,
    ...v128And,
    ...get(PXF + h),
    ...get(HI),
    ...f32x4Le,
    ...v128And,
    ...tee(M),
    ...anyTrue,
    ...ifBlock,
    ...get(U),
    ...get(PXF + h),
    ...f32x4Sub,
    ...tee(DX),
    ...get(HA),
    ...get(DX),
    ...f32x4Mul,
    ...get(ROWLIN),
    ...f32x4Add,
    ...f32x4Mul,
    ...get(ROWC),
    ...f32x4Add,
    ...tee(POW),
    ...constant(0),
    ...f32x4Le,
    ...get(M),
    ...v128And,
    ...set(M),
    ...get(POW),
    ...constant(Math.LOG2E),
    ...f32x4Mul,
    ...constant(-60),
    ...f32x4Pmax,
    ...tee(TT),
    ...f32x4Floor,
    ...set(N),
    ...get(TT),
    ...get(N),
    ...f32x4Sub,
    ...set(TT),
    // Estrin: (1 + c1 f) + f^2 ((c2 + c3 f) + c4 f^2), a shorter chain than Horner's.
    ...constant(EXP2[1]),
    ...get(TT),
    ...f32x4Mul,
    ...constant(1),
    ...f32x4Add,
    ...get(TT),
    ...get(TT),
    ...f32x4Mul,
    ...tee(F2),
    ...constant(EXP2[3]),
    ...get(TT),
    ...f32x4Mul,
    ...constant(EXP2[2]),
    ...f32x4Add,
    ...constant(EXP2[4]),
    ...get(F2),
    ...f32x4Mul,
    ...f32x4Add,
    ...f32x4Mul,
    ...f32x4Add,
    ...get(N),
    ...constant(MAGIC),
    ...f32x4Add,
    ...i32Const(23),
    ...i32x4Shl,
    ...f32x4Mul,
    ...get(OP),
    ...f32x4Mul,
    ...constant(0.99),
    ...f32x4Pmin,
    ...tee(ALPHA),
    ...get(MINAV),
    ...f32x4Ge,
    ...get(M),
    ...v128And,
    ...set(M),
    ...addr,
    ...load128(o),
    ...tee(T),
    ...constant(1),
    ...get(ALPHA),
    ...f32x4Sub,
    ...f32x4Mul,
    ...tee(NT),
    ...constant(1e-4),
    ...f32x4Lt,
    ...set(COMP),
    ...get(M),
    ...get(COMP),
    ...v128AndNot,
    ...tee(COMP),
    ...get(ALPHA),
    ...get(T),
    ...f32x4Mul,
    ...v128And,
    ...set(WT),
    ...[CR, CG, CB].flatMap((c, i) => [
      ...addr,
      ...addr,
      ...load128(o + 16 * (i + 1)),
      ...get(WT),
      ...get(c),
      ...f32x4Mul,
      ...f32x4Add,
      ...store128(o + 16 * (i + 1)),
    ]),
    ...addr,
    ...get(CZ),
    ...addr,
    ...load128(o + 64),
    ...get(COMP),
    ...get(T),
    ...constant(0.5),
    ...f32x4Ge,
    ...get(NT),
    ...constant(0.5),
    ...f32x4Lt,
    ...v128And,
    ...v128And,
    ...bitselect,
    ...store128(o + 64),
    ...addr,
    ...get(NT),
    ...get(T),
    ...get(COMP),
    ...bitselect,
    ...store128(o),
    ...addr,
    ...get(LIVE),
    ...get(M),
    ...get(NT),
    ...get(STOP),
    ...f32x4Lt,
    ...v128And,
    ...v128AndNot,
    ...tee(LIVE),
    ...store128(o + 80),
    ...get(COUNT),
    ...get(COMP),
    ...i32x4Sub,
    ...set(COUNT),
    ...get(LIVE),
    ...anyTrue,
    ...i32Eqz,
    ...ifBlock,
    ...get(LIVEV),
    ...i32Const(1),
    ...i32Sub,
    ...set(LIVEV),
    ...end,
    ...end,
  ];
}

/** Per tile: T = 1, rgb = depth = 0, live = (column < cols) & (row < rows) for the 16 vectors at byte 0. */
const initState: number[] = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((r) =>
  [0, 1].flatMap((h) => [
    ...i32Const(0),
    ...f32x4Const(1),
    ...store128((2 * r + h) * VECTOR_BYTES),
    ...[1, 2, 3, 4].flatMap((f) => [...i32Const(0), ...f32x4Const(0), ...store128((2 * r + h) * VECTOR_BYTES + 16 * f)]),
    ...i32Const(0),
    ...i32x4Const([4 * h, 4 * h + 1, 4 * h + 2, 4 * h + 3]),
    ...get(COLS),
    ...i32x4Splat,
    ...simd(0x39), // i32x4.lt_s
    ...i32Const(0),
    ...i32Const(r),
    ...get(ROWS),
    ...i32LtS,
    ...i32Sub,
    ...i32x4Splat,
    ...v128And,
    ...store128((2 * r + h) * VECTOR_BYTES + 80),
  ]),
);

const splatField = (offset: number): number[] => [...get(REC), ...f32Load(offset), ...f32x4Splat];

const compositeBody: number[] = [
  3,
  11,
  I32,
  12,
  F32,
  32 + CONSTANTS.length,
  V128,
  ...initState,
  ...CONSTANTS.flatMap((value, i) => [...f32x4Const(value), ...set(CONSTANTS_AT + i)]),
  // livev = rows << (cols > 4); ymax, xmax; pixel columns of each half; stop, minAlpha splatted.
  ...get(ROWS),
  ...get(COLS),
  ...i32Const(4),
  ...i32GtS,
  ...i32Shl,
  ...set(LIVEV),
  ...get(Y0),
  ...get(ROWS),
  ...i32Add,
  ...i32Const(1),
  ...i32Sub,
  ...set(YMAX),
  ...get(X0),
  ...get(COLS),
  ...i32Add,
  ...i32Const(1),
  ...i32Sub,
  ...set(XMAX),
  ...[0, 1].flatMap((h) => [
    ...get(X0),
    ...i32x4Splat,
    ...i32x4Const([4 * h, 4 * h + 1, 4 * h + 2, 4 * h + 3]),
    ...i32x4Add,
    ...tee(PXI + h),
    ...convertS,
    ...f32x4Const(0.5),
    ...f32x4Add,
    ...set(PXF + h),
  ]),
  ...get(STOPT),
  ...f32x4Splat,
  ...set(STOP),
  ...get(MINA),
  ...f32x4Splat,
  ...set(MINAV),
  ...block,
  ...get(START),
  ...get(END),
  ...i32GeU,
  ...brIf(0),
  ...get(START),
  ...set(K),
  ...W.loop(
    // The entry: the address of its Gaussian's record.
    get(K),
    i32Load(0),
    set(REC),
    get(REC),
    f32Load(0),
    tee(US),
    f32x4Splat,
    set(U),
    get(REC),
    f32Load(8),
    tee(AS),
    f32Const(1),
    get(AS),
    [0x95], // f32.div
    set(IA),
    drop,
    get(REC),
    f32Load(12),
    set(BS),
    get(REC),
    f32Load(16),
    set(CS),
    get(REC),
    f32Load(4 * ENTRY_CUT),
    set(CUT),
    get(REC),
    f32Load(4),
    set(V),
    get(REC),
    f32Load(8),
    f32Const(-0.5),
    f32Mul,
    f32x4Splat,
    set(HA),
    get(REC),
    f32Load(12),
    f32Neg,
    set(NB),
    get(REC),
    f32Load(16),
    f32Const(-0.5),
    f32Mul,
    set(HC),
    splatField(20),
    set(OP),
    splatField(24),
    set(CR),
    splatField(28),
    set(CG),
    splatField(32),
    set(CB),
    splatField(36),
    set(CZ),
    get(REC),
    i32Load(4 * ENTRY_X_FIRST),
    clampInto(XA, X0, true),
    get(REC),
    i32Load(4 * ENTRY_X_FIRST + 4),
    clampInto(XB, XMAX, false),
    get(REC),
    i32Load(4 * ENTRY_X_FIRST + 8),
    clampInto(YA, Y0, true),
    get(REC),
    i32Load(4 * ENTRY_X_FIRST + 12),
    clampInto(YB, YMAX, false),
    [0, 1].flatMap((h) => [
      ...get(PXI + h),
      ...get(XA),
      ...i32x4Splat,
      ...i32x4GeS,
      ...get(PXI + h),
      ...get(XB),
      ...i32x4Splat,
      ...i32x4LeS,
      ...v128And,
      ...set(CM + h),
    ]),
    get(YA),
    get(YB),
    i32LeS,
    ifBlock,
    get(YA),
    set(Y),
    W.loop(
      get(V),
      get(Y),
      f32FromI32,
      f32Const(0.5),
      f32Add,
      f32Sub,
      tee(DY),
      get(BS),
      f32Mul,
      tee(BDY),
      get(BDY),
      f32Mul,
      get(AS),
      get(CS),
      get(DY),
      f32Mul,
      get(DY),
      f32Mul,
      get(CUT),
      f32Sub,
      f32Mul,
      f32Sub,
      tee(ROOT),
      f32Const(0),
      [0x60], // f32.ge: false where the row misses the ellipse (or NaN)
      ifBlock,
      get(ROOT),
      [0x91], // f32.sqrt
      set(ROOT),
      // The ellipse's span of the row, as pixel centres, widened by a hundredth of a pixel: alpha decides.
      get(US),
      get(ROOT),
      get(BDY),
      f32Sub,
      get(IA),
      f32Mul,
      f32Sub,
      f32Const(SPAN_SLACK),
      f32Sub,
      f32x4Splat,
      set(LO),
      get(US),
      get(ROOT),
      get(BDY),
      f32Add,
      get(IA),
      f32Mul,
      f32Add,
      f32Const(SPAN_SLACK),
      f32Add,
      f32x4Splat,
      set(HI),
      get(DY),
      get(NB),
      f32Mul,
      f32x4Splat,
      set(ROWLIN),
      get(HC),
      get(DY),
      f32Mul,
      get(DY),
      f32Mul,
      f32x4Splat,
      set(ROWC),
      get(Y),
      get(Y0),
      i32Sub,
      i32Const(2 * VECTOR_BYTES),
      i32Mul,
      set(RADDR),
      halfRow(0),
      halfRow(1),
      end,
      get(Y),
      i32Const(1),
      i32Add,
      tee(Y),
      get(YB),
      i32LeS,
      brIf(0),
    ),
    end,
    get(LIVEV),
    i32Eqz,
    brIf(1),
    W.next(K, 4, END),
  ),
  ...end,
  ...get(COUNT),
  ...extractLane(0),
  ...get(COUNT),
  ...extractLane(1),
  ...i32Add,
  ...get(COUNT),
  ...extractLane(2),
  ...i32Add,
  ...get(COUNT),
  ...extractLane(3),
  ...i32Add,
  0x0b,
];

/**
 * One instance: its memory holds a tile's state, then the frame's Gaussian records (in depth order, written once
 * each), then the tile lists of record addresses (grown as needed).
 */
export class WasmSplatCompositor {
  private readonly compositeTile: (
    start: number,
    end: number,
    x0: number,
    y0: number,
    cols: number,
    rows: number,
    stopT: number,
    minAlpha: number,
  ) => number;
  private readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** The records, as floats and as int32 (the same bytes), from RECORDS_OFFSET; replaced when memory grows. */
  records = new Float32Array(0);
  recordInts = new Int32Array(0);
  /** The tile lists: per entry, its record's byte address (recordAddress). */
  list = new Int32Array(0);
  /** The last composited tile's 16 state vectors (SPLAT_STATE_FLOATS floats each: T, r, g, b, depth, live x 4 lanes). */
  state = new Float32Array(0);
  private listOffset = 0;

  constructor() {
    const exports = W.instantiate(
      [{ exportName: 'composite', params: [I32, I32, I32, I32, I32, I32, F32, F32], results: [I32], body: compositeBody }],
      1,
    );
    this.compositeTile = exports.composite as WasmSplatCompositor['compositeTile'];
    this.memory = exports.memory as WasmSplatCompositor['memory'];
    this.reserve(0, 0);
  }

  /** Room for `records` Gaussian records and `entries` list entries (the views are replaced: read them after this). */
  reserve(records: number, entries: number): void {
    this.listOffset = RECORDS_OFFSET + records * RECORD_BYTES;
    const bytes = this.listOffset + 4 * entries;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes * 1.25 - have) / PAGE_BYTES));
    const buffer = this.memory.buffer;
    this.records = new Float32Array(buffer, RECORDS_OFFSET, records * SPLAT_ENTRY_FLOATS);
    this.recordInts = new Int32Array(buffer, RECORDS_OFFSET, records * SPLAT_ENTRY_FLOATS);
    this.list = new Int32Array(buffer, this.listOffset, entries);
    this.state = new Float32Array(buffer, 0, 16 * SPLAT_STATE_FLOATS);
  }

  /** The byte address of record `rank` (what the lists hold). */
  recordAddress(rank: number): number {
    return RECORDS_OFFSET + rank * RECORD_BYTES;
  }

  /**
   * Composites list entries [first, last) into a fresh tile at pixel (x0, y0) of `cols` x `rows` live pixels (at
   * most 8 each) into `state`; returns the Gaussian-pixel pairs composited.
   */
  composite(first: number, last: number, x0: number, y0: number, cols: number, rows: number, stopT: number, minAlpha: number): number {
    return this.compositeTile(this.listOffset + 4 * first, this.listOffset + 4 * last, x0, y0, cols, rows, stopT, minAlpha);
  }
}

/** A fresh compositor, or null where the runtime lacks WebAssembly SIMD (callers keep the JS loop). */
export function wasmSplatCompositor(): WasmSplatCompositor | null {
  try {
    return new WasmSplatCompositor();
  } catch {
    return null;
  }
}
