// Native wire codecs for x86-64 hosts with AVX2 and F16C: float16 conversion, int8 quantisation of groups and
// top-k's filtering pass, with exactly the results of the WebAssembly kernels (shared/src/wire/wasm-float16.ts,
// wasm-int8.ts, wasm-top-k.ts) and their scalar tails, working on the JavaScript arrays in place. WebAssembly can
// only address its own memory, so its kernels stage every block in and out of it; here the hardware converts 8
// values an instruction with no staging, and the wire path runs near memory speed (docs/decisions.md, "native
// wire codecs").
//
// Built by scripts/build.mjs when a C compiler and Node's headers are present; loaded, when present and the CPU
// has the instructions, by shared/src/wire/native-codecs.ts. Every entry point checks its arguments' types and
// lengths itself: JavaScript callers check them too, but memory safety here must not depend on them.

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define STRATA_X86 1
#endif

#ifdef STRATA_X86
#define KERNEL __attribute__((target("avx2,f16c")))

// float32 -> float16, round to nearest even (vcvtps2ph: subnormals, infinities and NaN with its top payload
// bits, quieted, as the WebAssembly kernel gives them).
KERNEL static void to_half(const float *in, uint16_t *out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128((__m128i *)(out + i), h);
  }
  if (i < n) {
    float tail[8] = {0};
    uint16_t halves[8];
    memcpy(tail, in + i, (n - i) * sizeof(float));
    _mm_storeu_si128((__m128i *)halves, _mm256_cvtps_ph(_mm256_loadu_ps(tail), _MM_FROUND_TO_NEAREST_INT));
    memcpy(out + i, halves, (n - i) * sizeof(uint16_t));
  }
}

// A half's float32 bits for infinity and NaN (exponent 31): vcvtph2ps quiets a signalling NaN, the WebAssembly
// kernel and the table keep its payload as it is.
static uint32_t special_half_bits(uint16_t h) {
  return ((uint32_t)(h & 0x8000) << 16) | 0x7f800000u | ((uint32_t)(h & 0x3ff) << 13);
}

// Eight halves to floats, with the lanes holding infinity or NaN taken from special_half_bits.
KERNEL static void eight_floats(const uint16_t *in, float *out) {
  __m128i h = _mm_loadu_si128((const __m128i *)in);
  _mm256_storeu_ps(out, _mm256_cvtph_ps(h));
  const __m128i exponent = _mm_set1_epi16(0x7c00);
  int special = _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(h, exponent), exponent));
  if (special) {
    for (int lane = 0; lane < 8; lane++) {
      if ((in[lane] & 0x7c00) == 0x7c00) {
        uint32_t bits = special_half_bits(in[lane]);
        memcpy(out + lane, &bits, sizeof bits);
      }
    }
  }
}

KERNEL static void to_float(const uint16_t *in, float *out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) eight_floats(in + i, out + i);
  if (i < n) {
    uint16_t tail[8] = {0};
    float floats[8];
    memcpy(tail, in + i, (n - i) * sizeof(uint16_t));
    eight_floats(tail, floats);
    memcpy(out + i, floats, (n - i) * sizeof(float));
  }
}

// The largest magnitude of n values as float32 bits: the bits of non-negative floats order as unsigned
// integers, NaN above infinity above every number, as the WebAssembly kernel's pmaxud.
KERNEL static uint32_t max_magnitude_bits(const float *in, size_t n) {
  const __m256i magnitude = _mm256_set1_epi32(0x7fffffff);
  __m256i m = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_epu32(m, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(in + i)), magnitude));
  uint32_t lanes[8];
  _mm256_storeu_si256((__m256i *)lanes, m);
  uint32_t max = 0;
  for (int lane = 0; lane < 8; lane++) max = lanes[lane] > max ? lanes[lane] : max;
  for (; i < n; i++) {
    uint32_t bits;
    memcpy(&bits, in + i, sizeof bits);
    bits &= 0x7fffffff;
    max = bits > max ? bits : max;
  }
  return max;
}

// q = clamp(floor(x * inverse + 0.5), -127, 127), NaN to 0, every operation in float32 (no fused multiply-add:
// the target has none and the build passes -ffp-contract=off).
static int8_t quantized(float x, float inverse) {
  float y = __builtin_floorf(x * inverse + 0.5f);
  if (y != y) return 0;
  return (int8_t)(y > 127.0f ? 127 : y < -127.0f ? -127 : (int)y);
}

KERNEL static __m256i rounded8(const float *in, __m256 inverse) {
  __m256 y = _mm256_floor_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(in), inverse), _mm256_set1_ps(0.5f)));
  y = _mm256_and_ps(y, _mm256_cmp_ps(y, y, _CMP_ORD_Q));
  y = _mm256_min_ps(_mm256_max_ps(y, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
  return _mm256_cvttps_epi32(y);
}

KERNEL static void quantize(const float *in, int8_t *out, size_t n, float inverse) {
  const __m256 inv = _mm256_set1_ps(inverse);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i ab = _mm256_packs_epi32(rounded8(in + i, inv), rounded8(in + i + 8, inv));
    __m256i cd = _mm256_packs_epi32(rounded8(in + i + 16, inv), rounded8(in + i + 24, inv));
    __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), order);
    _mm256_storeu_si256((__m256i *)(out + i), bytes);
  }
  for (; i < n; i++) out[i] = quantized(in[i], inverse);
}

KERNEL static void dequantize(const int8_t *in, float *out, size_t n, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(in + i)));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_cvtepi32_ps(q), s));
  }
  for (; i < n; i++) out[i] = (float)in[i] * scale;
}

// The indices, increasing, of the values whose magnitude bits reach `threshold` (and their bits into `passing`
// when given), as the WebAssembly filtering kernel: the count, or -1 when more than `room` pass.
KERNEL static int64_t at_least(const int32_t *bits, size_t n, int32_t threshold, uint32_t *out, int32_t *passing, size_t room) {
  const __m256i magnitude = _mm256_set1_epi32(0x7fffffff);
  const __m256i below = _mm256_set1_epi32(threshold - 1);
  size_t c = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i x = _mm256_loadu_si256((const __m256i *)(bits + i));
    int mask = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_and_si256(x, magnitude), below)));
    while (mask) {
      int lane = __builtin_ctz(mask);
      mask &= mask - 1;
      if (c == room) return -1;
      if (passing) passing[c] = bits[i + lane];
      out[c++] = (uint32_t)(i + lane);
    }
  }
  for (; i < n; i++) {
    if ((bits[i] & 0x7fffffff) >= threshold) {
      if (c == room) return -1;
      if (passing) passing[c] = bits[i];
      out[c++] = (uint32_t)i;
    }
  }
  return (int64_t)c;
}

static bool cpu_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
}
#else
static bool cpu_supported(void) { return false; }
#endif

// ---- Node-API glue ----

static bool typed_array(napi_env env, napi_value value, napi_typedarray_type type, void **data, size_t *length, const char *what) {
  bool is_typed_array = false;
  napi_typedarray_type actual;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, value, &actual, length, data, NULL, NULL) != napi_ok || actual != type) {
    napi_throw_type_error(env, NULL, what);
    return false;
  }
  return true;
}

static bool arguments(napi_env env, napi_callback_info info, size_t count, napi_value *args) {
  size_t given = count;
  if (napi_get_cb_info(env, info, &given, args, NULL, NULL) != napi_ok || given != count) {
    napi_throw_type_error(env, NULL, "strata native codecs: wrong number of arguments");
    return false;
  }
  return true;
}

static bool group_size(napi_env env, napi_value value, size_t *size) {
  double number;
  if (napi_get_value_double(env, value, &number) != napi_ok || !(number >= 1) || number > 9007199254740991.0 || number != (double)(size_t)number) {
    napi_throw_range_error(env, NULL, "strata native codecs: the group size must be a positive integer");
    return false;
  }
  *size = (size_t)number;
  return true;
}

static napi_value range_error(napi_env env, const char *what) {
  napi_throw_range_error(env, NULL, what);
  return NULL;
}

// A whole-array conversion's glue: `src` and `out` typed arrays of the given types and one length, then `convert`.
struct conversion {
  napi_typedarray_type from, to;
  const char *bad_src, *bad_out, *bad_lengths;
  void (*convert)(const void *in, void *out, size_t n);
};

static napi_value run_conversion(napi_env env, napi_callback_info info, const struct conversion *c) {
  napi_value args[2];
  void *in, *out;
  size_t n, m;
  if (!arguments(env, info, 2, args) || !typed_array(env, args[0], c->from, &in, &n, c->bad_src) ||
      !typed_array(env, args[1], c->to, &out, &m, c->bad_out))
    return NULL;
  if (n != m) return range_error(env, c->bad_lengths);
  c->convert(in, out, n);
  return NULL;
}

#ifdef STRATA_X86
static void to_half_any(const void *in, void *out, size_t n) { to_half(in, out, n); }
static void to_float_any(const void *in, void *out, size_t n) { to_float(in, out, n); }
#else
static void to_half_any(const void *in, void *out, size_t n) { (void)in, (void)out, (void)n; }
static void to_float_any(const void *in, void *out, size_t n) { (void)in, (void)out, (void)n; }
#endif

// float32ToFloat16(src: Float32Array, out: Uint16Array)
static napi_value Float32ToFloat16(napi_env env, napi_callback_info info) {
  static const struct conversion c = {napi_float32_array, napi_uint16_array, "float32ToFloat16: src must be a Float32Array",
                                      "float32ToFloat16: out must be a Uint16Array", "float32ToFloat16: src and out differ in length", to_half_any};
  return run_conversion(env, info, &c);
}

// float16ToFloat32(src: Uint16Array, out: Float32Array)
static napi_value Float16ToFloat32(napi_env env, napi_callback_info info) {
  static const struct conversion c = {napi_uint16_array, napi_float32_array, "float16ToFloat32: src must be a Uint16Array",
                                      "float16ToFloat32: out must be a Float32Array", "float16ToFloat32: src and out differ in length", to_float_any};
  return run_conversion(env, info, &c);
}

static size_t groups_of(size_t n, size_t size) { return n == 0 ? 1 : (n + size - 1) / size; }

// quantizeInt8Groups(values: Float32Array, groupSize: number, q: Int8Array, scales: Float32Array): each group of
// groupSize values (the last may be shorter) with scale = max|value| / 127 and its values quantised with 1 / scale.
static napi_value QuantizeInt8Groups(napi_env env, napi_callback_info info) {
  napi_value args[4];
  void *values, *q, *scales;
  size_t n, size, qn, groups;
  if (!arguments(env, info, 4, args) || !typed_array(env, args[0], napi_float32_array, &values, &n, "quantizeInt8Groups: values must be a Float32Array") ||
      !group_size(env, args[1], &size) || !typed_array(env, args[2], napi_int8_array, &q, &qn, "quantizeInt8Groups: q must be an Int8Array") ||
      !typed_array(env, args[3], napi_float32_array, &scales, &groups, "quantizeInt8Groups: scales must be a Float32Array"))
    return NULL;
  if (qn != n || groups != groups_of(n, size)) return range_error(env, "quantizeInt8Groups: q or scales has the wrong length");
#ifdef STRATA_X86
  for (size_t g = 0, start = 0; start < n; g++, start += size) {
    size_t count = n - start < size ? n - start : size;
    uint32_t bits = max_magnitude_bits((const float *)values + start, count);
    float max;
    memcpy(&max, &bits, sizeof max);
    float scale = max / 127.0f;
    ((float *)scales)[g] = scale;
    quantize((const float *)values + start, (int8_t *)q + start, count, 1.0f / scale);
  }
  if (n == 0) ((float *)scales)[0] = 0.0f;
#endif
  return NULL;
}

// dequantizeInt8Groups(q: Int8Array, scales: Float32Array, groupSize: number, out: Float32Array): q * scale.
static napi_value DequantizeInt8Groups(napi_env env, napi_callback_info info) {
  napi_value args[4];
  void *q, *scales, *out;
  size_t n, groups, size, m;
  if (!arguments(env, info, 4, args) || !typed_array(env, args[0], napi_int8_array, &q, &n, "dequantizeInt8Groups: q must be an Int8Array") ||
      !typed_array(env, args[1], napi_float32_array, &scales, &groups, "dequantizeInt8Groups: scales must be a Float32Array") ||
      !group_size(env, args[2], &size) || !typed_array(env, args[3], napi_float32_array, &out, &m, "dequantizeInt8Groups: out must be a Float32Array"))
    return NULL;
  if (m != n || (n > 0 && groups != groups_of(n, size))) return range_error(env, "dequantizeInt8Groups: scales or out has the wrong length");
#ifdef STRATA_X86
  for (size_t g = 0, start = 0; start < n; g++, start += size) {
    size_t count = n - start < size ? n - start : size;
    dequantize((const int8_t *)q + start, (float *)out + start, count, ((const float *)scales)[g]);
  }
#endif
  return NULL;
}

// indicesAtLeast(bits: Int32Array, threshold: number, out: Uint32Array, passing: Int32Array | null): the count,
// or -1 when more pass than `out` (and `passing`) hold.
static napi_value IndicesAtLeast(napi_env env, napi_callback_info info) {
  napi_value args[4];
  void *bits, *out, *passing = NULL;
  size_t n, room, passingRoom = 0;
  int32_t threshold;
  napi_valuetype passingType;
  if (!arguments(env, info, 4, args) || !typed_array(env, args[0], napi_int32_array, &bits, &n, "indicesAtLeast: bits must be an Int32Array") ||
      !typed_array(env, args[2], napi_uint32_array, &out, &room, "indicesAtLeast: out must be a Uint32Array") ||
      napi_typeof(env, args[3], &passingType) != napi_ok)
    return NULL;
  if (napi_get_value_int32(env, args[1], &threshold) != napi_ok || threshold < 0) return range_error(env, "indicesAtLeast: the threshold must be a non-negative integer");
  if (passingType != napi_null) {
    if (!typed_array(env, args[3], napi_int32_array, &passing, &passingRoom, "indicesAtLeast: passing must be an Int32Array or null")) return NULL;
    if (passingRoom < room) room = passingRoom;
  }
  int64_t count = -1;
#ifdef STRATA_X86
  count = at_least(bits, n, threshold, out, passing, room);
#endif
  napi_value result;
  napi_create_int64(env, count, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value supported;
  napi_get_boolean(env, cpu_supported(), &supported);
  napi_set_named_property(env, exports, "supported", supported);
  const struct {
    const char *name;
    napi_callback callback;
  } functions[] = {
      {"float32ToFloat16", Float32ToFloat16},
      {"float16ToFloat32", Float16ToFloat32},
      {"quantizeInt8Groups", QuantizeInt8Groups},
      {"dequantizeInt8Groups", DequantizeInt8Groups},
      {"indicesAtLeast", IndicesAtLeast},
  };
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    napi_value fn;
    napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].callback, NULL, &fn);
    napi_set_named_property(env, exports, functions[i].name, fn);
  }
  return exports;
}
