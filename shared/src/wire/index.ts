// The wire format: protobuf envelopes as binary frames, tensors as little-endian bytes (float32, float16,
// int8 with scales, sparse rows, top-k elements), chunking of large frames, and error feedback for lossy encodings.
export { strata } from './generated/strata.js';
export { DEFAULT_WIRE_LIMITS, wireLimits, type WireLimits } from './wire-limits.js';
export { float16ToFloat32, float32ToFloat16 } from './float16.js';
export { nativeCodecs, setNativeCodecsEnabled } from './native-codecs.js';
export { dequantizeInt8, quantizeInt8, type Int8Quantized } from './int8-quantization.js';
export { topKIndices } from './top-k-selection.js';
export { decodeTensor, encodeTensor, type NamedTensor, type TensorEncoding, type WireDType } from './tensor-codec.js';
export { ErrorFeedback } from './error-feedback.js';
export { decodeModel, encodeModel, type DecodedModel } from './model-codec.js';
export { modelChecksum, wordsChecksum } from './model-checksum.js';
export { applyPatchTensors, decodeModelPatch, type DecodedModelPatch, type ModelStateId } from './model-patch.js';
export { decodeUpdate, encodeUpdate, encodeUpdateFrame, type DecodedUpdate, type UpdateEncodingOptions } from './update-codec.js';
export { assertCompatible, assertFinite } from './update-checks.js';
export {
  decodeEnvelope,
  encodeEnvelope,
  PROTOCOL_VERSION,
  type DecodedEnvelope,
  type EnvelopeBody,
} from './envelope-codec.js';
export {
  DecompressionBombError,
  ENTROPY_CODINGS,
  entropyCodec,
  expandFrame,
  registerEntropyCodec,
  type EntropyCodec,
  type EntropyCoding,
} from './entropy-codecs.js';
export { compressFrame, MIN_COMPRESSED_FRAME_BYTES } from './frame-compression.js';
export { ChunkAssembler, splitFrame, type ChunkAssemblerLimits, type SplitOptions } from './chunking.js';
