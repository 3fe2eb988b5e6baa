// @nf/onednn: oneDNN convolutions and matrix products on tfjs's wasm heap, in place.
//
// Every call gets the wasm memory (an ArrayBuffer, or any typed array over it — a
// SharedArrayBuffer works through a typed array) and byte offsets into it: the tensors stay where
// the wasm backend keeps them. The memory is passed on every call because a grown wasm memory is a
// new buffer. Primitives are cached per shape (LRU, bounded), per thread: Node worker threads each
// load this module into their own environment and call it from their own OS thread.
//
// Layouts are tfjs's: activations NHWC (format_tag::nhwc), filters HWIO (hwio), grouped and
// depthwise filters [H, W, I/G, G·(O/G)] (hwigo; a depthwise [H, W, C, M] filter is groups = C,
// one input channel per group). oneDNN picks its own blocked filter layout (format_tag::any) and the
// filter is reordered into it per call (training gives a new filter every step), and dW back out of it.
#include <node_api.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

using namespace dnnl;
using dims = memory::dims;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

constexpr size_t kCacheLimit = 384;

engine& cpu_engine() {
  static engine eng(engine::kind::cpu, 0);
  return eng;
}

struct ThreadState {
  stream strm{cpu_engine()};
  // OpenMP threads for large calls (setThreads); calls under `parallel_min_flops` run on one thread:
  // an OpenMP fork and join costs more than it saves there, and far more when another process holds
  // a core (the team waits for a descheduled thread).
  int threads = omp_get_max_threads();
  double parallel_min_flops = 32e6;
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

// A primitive with the memories it runs on (data handles set per call), and the reorders around it.
struct Entry {
  primitive prim;
  std::unordered_map<int, memory> args;
  // Reorder of a user filter into the primitive's layout (forward, dX), or of the primitive's dW
  // out to the user's layout (dW); `user` is the heap side of it, `inner` the primitive's side.
  bool has_reorder = false;
  dnnl::reorder wei_reorder;
  memory user, inner;
  int heap_arg = -1;  // which args[] entry the heap-side memories bind (src, dst, weights)
  std::string impl;
};

// LRU of primitives by key, per thread.
struct Cache {
  std::list<std::pair<std::string, std::shared_ptr<Entry>>> order;
  std::unordered_map<std::string, std::list<std::pair<std::string, std::shared_ptr<Entry>>>::iterator> index;
  size_t hits = 0, misses = 0;

  std::shared_ptr<Entry> get(const std::string& key) {
    auto it = index.find(key);
    if (it == index.end()) return nullptr;
    order.splice(order.begin(), order, it->second);
    hits++;
    return it->second->second;
  }
  void put(const std::string& key, std::shared_ptr<Entry> e) {
    misses++;
    order.emplace_front(key, std::move(e));
    index[key] = order.begin();
    while (order.size() > kCacheLimit) {
      index.erase(order.back().first);
      order.pop_back();
    }
  }
};

Cache& cache() {
  thread_local Cache c;
  return c;
}

// Sets OpenMP's threads for one call of `flops` and returns them (part of the primitive's cache key:
// oneDNN fixes its work split when a primitive is created).
int threads_for(double flops) {
  ThreadState& st = state();
  const int want = flops < st.parallel_min_flops ? 1 : st.threads;
  if (omp_get_max_threads() != want) omp_set_num_threads(want);
  return want;
}

// ---- Node-API helpers ----

#define NAPI_OK(call)                                                   \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, nullptr, "@nf/onednn: Node-API call failed: " #call); \
      return nullptr;                                                   \
    }                                                                   \
  } while (0)

napi_value throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, ("@nf/onednn: " + message).c_str());
  return nullptr;
}

// The wasm heap: an ArrayBuffer, or a typed array / DataView over an ArrayBuffer or SharedArrayBuffer.
bool heap_of(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  bool is = false;
  void* p = nullptr;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    if (napi_get_arraybuffer_info(env, v, &p, length) != napi_ok) return false;
    *data = static_cast<uint8_t*>(p);
    return true;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t count = 0, offset = 0;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &count, &p, &ab, &offset) != napi_ok) return false;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *data = static_cast<uint8_t*>(p);
    *length = count * elem;
    return true;
  }
  return false;
}

// Reads (heap, params Int32Array) arguments.
bool read_args(napi_env env, napi_callback_info info, uint8_t** heap, size_t* heap_len, int32_t** params, size_t* nparams) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) return false;
  if (!heap_of(env, argv[0], heap, heap_len)) return false;
  napi_typedarray_type type;
  void* p;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, argv[1], &type, nparams, &p, &ab, &offset) != napi_ok || type != napi_int32_array) return false;
  *params = static_cast<int32_t*>(p);
  return true;
}

bool in_heap(size_t heap_len, int64_t offset, int64_t floats) {
  return offset >= 0 && floats >= 0 && offset % 4 == 0 && static_cast<uint64_t>(offset) + 4 * static_cast<uint64_t>(floats) <= heap_len;
}

std::string key_of(char kind, const int32_t* p, size_t n, int threads) {
  std::string k(1, kind);
  k.append(reinterpret_cast<const char*>(&threads), sizeof threads);
  k.append(reinterpret_cast<const char*>(p), n * sizeof(int32_t));
  return k;
}

// ---- convolutions ----

// params: [direction, n, ih, iw, ic, oh, ow, oc, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr,
//          x/dx offset, w/dw offset, y/dy offset]; direction 0 forward (x, w → y), 1 dX (dy, w → dx),
//          2 dW (x, dy → dw). Dilations are tfjs's (1 = none).
constexpr size_t kConvParams = 22;

struct ConvGeometry {
  memory::desc src, wei_user, wei_any, dst;
  dims strides, dilates, pad_l, pad_r;
};

ConvGeometry conv_geometry(const int32_t* p) {
  const memory::dim n = p[1], ih = p[2], iw = p[3], ic = p[4], oh = p[5], ow = p[6], oc = p[7], kh = p[8], kw = p[9], g = p[10];
  ConvGeometry geo;
  geo.src = memory::desc({n, ic, ih, iw}, dt::f32, tag::nhwc);
  geo.dst = memory::desc({n, oc, oh, ow}, dt::f32, tag::nhwc);
  if (g == 1) {
    geo.wei_user = memory::desc({oc, ic, kh, kw}, dt::f32, tag::hwio);
    geo.wei_any = memory::desc({oc, ic, kh, kw}, dt::f32, tag::any);
  } else {
    geo.wei_user = memory::desc({g, oc / g, ic / g, kh, kw}, dt::f32, tag::hwigo);
    geo.wei_any = memory::desc({g, oc / g, ic / g, kh, kw}, dt::f32, tag::any);
  }
  geo.strides = {p[11], p[12]};
  geo.dilates = {p[13] - 1, p[14] - 1};
  geo.pad_l = {p[15], p[16]};
  geo.pad_r = {p[17], p[18]};
  return geo;
}

convolution_forward::primitive_desc forward_pd(const ConvGeometry& geo) {
  convolution_forward::desc d(prop_kind::forward_training, algorithm::convolution_direct, geo.src, geo.wei_any, geo.dst, geo.strides, geo.dilates, geo.pad_l, geo.pad_r);
  return convolution_forward::primitive_desc(d, cpu_engine());
}

std::shared_ptr<Entry> make_conv(const int32_t* p) {
  const ConvGeometry geo = conv_geometry(p);
  const int direction = p[0];
  auto e = std::make_shared<Entry>();
  auto& eng = cpu_engine();
  auto fwd = forward_pd(geo);
  memory::desc wei_inner;
  if (direction == 0) {
    e->prim = convolution_forward(fwd);
    e->impl = fwd.impl_info_str();
    wei_inner = fwd.weights_desc();
    e->args[DNNL_ARG_SRC] = memory(fwd.src_desc(), eng, nullptr);
    e->args[DNNL_ARG_DST] = memory(fwd.dst_desc(), eng, nullptr);
    e->heap_arg = DNNL_ARG_WEIGHTS;
  } else if (direction == 1) {
    convolution_backward_data::desc d(algorithm::convolution_direct, geo.src, geo.wei_any, geo.dst, geo.strides, geo.dilates, geo.pad_l, geo.pad_r);
    convolution_backward_data::primitive_desc pd(d, eng, fwd);
    e->prim = convolution_backward_data(pd);
    e->impl = pd.impl_info_str();
    wei_inner = pd.weights_desc();
    e->args[DNNL_ARG_DIFF_SRC] = memory(pd.diff_src_desc(), eng, nullptr);
    e->args[DNNL_ARG_DIFF_DST] = memory(pd.diff_dst_desc(), eng, nullptr);
    e->heap_arg = DNNL_ARG_WEIGHTS;
  } else {
    convolution_backward_weights::desc d(algorithm::convolution_direct, geo.src, geo.wei_any, geo.dst, geo.strides, geo.dilates, geo.pad_l, geo.pad_r);
    convolution_backward_weights::primitive_desc pd(d, eng, fwd);
    e->prim = convolution_backward_weights(pd);
    e->impl = pd.impl_info_str();
    wei_inner = pd.diff_weights_desc();
    e->args[DNNL_ARG_SRC] = memory(pd.src_desc(), eng, nullptr);
    e->args[DNNL_ARG_DIFF_DST] = memory(pd.diff_dst_desc(), eng, nullptr);
    e->heap_arg = DNNL_ARG_DIFF_WEIGHTS;
  }
  e->user = memory(geo.wei_user, eng, nullptr);
  if (wei_inner != geo.wei_user) {
    e->has_reorder = true;
    e->inner = memory(wei_inner, eng);  // owned by oneDNN: the filter in the primitive's layout
    e->wei_reorder = direction == 2 ? dnnl::reorder(e->inner, e->user) : dnnl::reorder(e->user, e->inner);
    e->args[e->heap_arg] = e->inner;
  } else {
    e->args[e->heap_arg] = e->user;
  }
  return e;
}

napi_value conv(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heap_len, np;
  int32_t* p;
  if (!read_args(env, info, &heap, &heap_len, &p, &np) || np < kConvParams) return throw_error(env, "conv(heap, params) takes the wasm memory (ArrayBuffer or a typed array over it) and an Int32Array of 22 values.");
  const int direction = p[0];
  const int64_t n = p[1], ih = p[2], iw = p[3], ic = p[4], oh = p[5], ow = p[6], oc = p[7], kh = p[8], kw = p[9], g = p[10];
  if (direction < 0 || direction > 2 || g < 1 || ic % g || oc % g) return throw_error(env, "conv: bad direction or groups.");
  if (!in_heap(heap_len, p[19], n * ih * iw * ic) || !in_heap(heap_len, p[20], kh * kw * (ic / g) * oc) || !in_heap(heap_len, p[21], n * oh * ow * oc)) {
    return throw_error(env, "conv: a tensor offset lies outside the wasm memory passed (pass the memory's current buffer on every call).");
  }
  try {
    const int threads = threads_for(2.0 * double(n) * oh * ow * oc * (ic / g) * kh * kw);
    const std::string key = key_of('c', p, 19, threads);
    auto e = cache().get(key);
    if (!e) {
      e = make_conv(p);
      cache().put(key, e);
    }
    float* x = reinterpret_cast<float*>(heap + p[19]);
    float* w = reinterpret_cast<float*>(heap + p[20]);
    float* y = reinterpret_cast<float*>(heap + p[21]);
    auto& s = state().strm;
    e->user.set_data_handle(w);
    if (direction == 0) {
      e->args[DNNL_ARG_SRC].set_data_handle(x);
      e->args[DNNL_ARG_DST].set_data_handle(y);
    } else if (direction == 1) {
      e->args[DNNL_ARG_DIFF_SRC].set_data_handle(x);
      e->args[DNNL_ARG_DIFF_DST].set_data_handle(y);
    } else {
      e->args[DNNL_ARG_SRC].set_data_handle(x);
      e->args[DNNL_ARG_DIFF_DST].set_data_handle(y);
    }
    if (e->has_reorder && direction != 2) e->wei_reorder.execute(s, e->user, e->inner);
    e->prim.execute(s, e->args);
    if (e->has_reorder && direction == 2) e->wei_reorder.execute(s, e->inner, e->user);
    s.wait();
  } catch (const dnnl::error& err) {
    return throw_error(env, std::string("oneDNN convolution failed: ") + err.what());
  }
  return nullptr;
}

// ---- matrix products ----

// params: [batchA, batchB, m, k, n, transposeA, transposeB, a offset, b offset, c offset]. A is
// [batchA, m, k] ([batchA, k, m] when transposed), B [batchB, k, n] ([batchB, n, k]); a batch of 1
// broadcasts; C [max(batchA, batchB), m, n].
constexpr size_t kMatMulParams = 10;

std::shared_ptr<Entry> make_matmul(const int32_t* p) {
  const memory::dim ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4];
  const memory::dim bc = std::max(ba, bb);
  memory::desc a({ba, m, k}, dt::f32, p[5] ? dims{m * k, 1, m} : dims{m * k, k, 1});
  memory::desc b({bb, k, n}, dt::f32, p[6] ? dims{k * n, 1, k} : dims{k * n, n, 1});
  memory::desc c({bc, m, n}, dt::f32, dims{m * n, n, 1});
  matmul::desc d(a, b, c);
  matmul::primitive_desc pd(d, cpu_engine());
  auto e = std::make_shared<Entry>();
  e->prim = matmul(pd);
  e->impl = pd.impl_info_str();
  e->args[DNNL_ARG_SRC] = memory(a, cpu_engine(), nullptr);
  e->args[DNNL_ARG_WEIGHTS] = memory(b, cpu_engine(), nullptr);
  e->args[DNNL_ARG_DST] = memory(c, cpu_engine(), nullptr);
  return e;
}

napi_value mat_mul(napi_env env, napi_callback_info info) {
  uint8_t* heap;
  size_t heap_len, np;
  int32_t* p;
  if (!read_args(env, info, &heap, &heap_len, &p, &np) || np < kMatMulParams) return throw_error(env, "matMul(heap, params) takes the wasm memory and an Int32Array of 10 values.");
  const int64_t ba = p[0], bb = p[1], m = p[2], k = p[3], n = p[4];
  if (ba < 1 || bb < 1 || (ba != bb && ba != 1 && bb != 1)) return throw_error(env, "matMul: batch sizes must agree or be 1.");
  if (!in_heap(heap_len, p[7], ba * m * k) || !in_heap(heap_len, p[8], bb * k * n) || !in_heap(heap_len, p[9], std::max(ba, bb) * m * n)) {
    return throw_error(env, "matMul: a tensor offset lies outside the wasm memory passed (pass the memory's current buffer on every call).");
  }
  try {
    const int threads = threads_for(2.0 * double(std::max(ba, bb)) * m * k * n);
    const std::string key = key_of('m', p, 7, threads);
    auto e = cache().get(key);
    if (!e) {
      e = make_matmul(p);
      cache().put(key, e);
    }
    e->args[DNNL_ARG_SRC].set_data_handle(heap + p[7]);
    e->args[DNNL_ARG_WEIGHTS].set_data_handle(heap + p[8]);
    e->args[DNNL_ARG_DST].set_data_handle(heap + p[9]);
    auto& s = state().strm;
    e->prim.execute(s, e->args);
    s.wait();
  } catch (const dnnl::error& err) {
    return throw_error(env, std::string("oneDNN matmul failed: ") + err.what());
  }
  return nullptr;
}

// ---- introspection, threads, GEMM peak ----

napi_value make_number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value make_string(napi_env env, const std::string& s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}

// info(): { version, runtime, threads, maxThreads, cacheSize, hits, misses, isa }
napi_value info_fn(napi_env env, napi_callback_info) {
  napi_value o;
  NAPI_OK(napi_create_object(env, &o));
  const dnnl_version_t* v = dnnl_version();
  std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  std::string runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "tbb" : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "seq" : "other";
  napi_set_named_property(env, o, "version", make_string(env, version));
  napi_set_named_property(env, o, "runtime", make_string(env, runtime));
  napi_set_named_property(env, o, "threads", make_number(env, state().threads));
  napi_set_named_property(env, o, "parallelMinFlops", make_number(env, state().parallel_min_flops));
  napi_set_named_property(env, o, "cores", make_number(env, omp_get_num_procs()));
  napi_set_named_property(env, o, "cacheSize", make_number(env, static_cast<double>(cache().order.size())));
  napi_set_named_property(env, o, "cacheLimit", make_number(env, static_cast<double>(kCacheLimit)));
  napi_set_named_property(env, o, "hits", make_number(env, static_cast<double>(cache().hits)));
  napi_set_named_property(env, o, "misses", make_number(env, static_cast<double>(cache().misses)));
  const char* isa = "unknown";
  switch (get_effective_cpu_isa()) {
    case cpu_isa::avx512_core_amx: isa = "avx512_core_amx"; break;
    case cpu_isa::avx512_core_bf16: isa = "avx512_core_bf16"; break;
    case cpu_isa::avx512_core_vnni: isa = "avx512_core_vnni"; break;
    case cpu_isa::avx512_core: isa = "avx512_core"; break;
    case cpu_isa::avx2_vnni: isa = "avx2_vnni"; break;
    case cpu_isa::avx2: isa = "avx2"; break;
    case cpu_isa::avx: isa = "avx"; break;
    case cpu_isa::sse41: isa = "sse41"; break;
    default: break;
  }
  napi_set_named_property(env, o, "isa", make_string(env, isa));
  return o;
}

// setThreads(n[, parallelMinFlops]): OpenMP threads for oneDNN calls made from the calling thread
// (each Node worker thread has its own setting), and the FLOPs below which a call runs on one
// thread (default 32e6). Returns the previous thread count.
napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t n = 0;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) return throw_error(env, "setThreads(n) takes an integer n >= 1.");
  ThreadState& st = state();
  const int previous = st.threads;
  st.threads = n;
  omp_set_num_threads(n);
  if (argc >= 2) {
    double min_flops = 0;
    if (napi_get_value_double(env, argv[1], &min_flops) != napi_ok || !(min_flops >= 0)) return throw_error(env, "setThreads(n, parallelMinFlops): parallelMinFlops must be a number >= 0.");
    st.parallel_min_flops = min_flops;
  }
  return make_number(env, previous);
}

// implOf(params): the oneDNN implementation a conv (22 params) or matmul (10 params) gets, e.g. "brg:avx512_core".
napi_value impl_of(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  napi_typedarray_type type;
  size_t np = 0, offset;
  void* data;
  napi_value ab;
  if (argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &np, &data, &ab, &offset) != napi_ok || type != napi_int32_array) return throw_error(env, "implOf(params) takes an Int32Array.");
  const int32_t* p = static_cast<const int32_t*>(data);
  try {
    if (np >= kConvParams) return make_string(env, make_conv(p)->impl);
    if (np >= kMatMulParams) return make_string(env, make_matmul(p)->impl);
  } catch (const dnnl::error& err) {
    return throw_error(env, std::string("oneDNN: ") + err.what());
  }
  return throw_error(env, "implOf: params of a conv (22) or a matmul (10) expected.");
}

// sgemmGflops(size, ms): oneDNN's sgemm on size × size matrices (native memory), repeated for at
// least `ms` milliseconds after one warm-up call; GFLOP/s of the fastest call.
napi_value sgemm_gflops(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t size = 1024;
  double ms = 1000;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc >= 1) napi_get_value_int32(env, argv[0], &size);
  if (argc >= 2) napi_get_value_double(env, argv[1], &ms);
  if (size < 1 || size > 8192) return throw_error(env, "sgemmGflops(size, ms): size between 1 and 8192.");
  std::vector<float> a(size_t(size) * size, 1.0f), b(size_t(size) * size, 0.5f), c(size_t(size) * size);
  for (size_t i = 0; i < a.size(); i++) a[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f;
  omp_set_num_threads(state().threads);
  auto once = [&] { dnnl_sgemm('N', 'N', size, size, size, 1.0f, a.data(), size, b.data(), size, 0.0f, c.data(), size); };
  once();
  double best = 1e30;
  const auto start = std::chrono::steady_clock::now();
  do {
    const auto t0 = std::chrono::steady_clock::now();
    once();
    const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (t < best) best = t;
  } while (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < ms);
  return make_number(env, 2.0 * size * size * double(size) / best / 1e6);
}

napi_value clear_cache(napi_env env, napi_callback_info) {
  cache().order.clear();
  cache().index.clear();
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"conv", nullptr, conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matMul", nullptr, mat_mul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, info_fn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, set_threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implOf", nullptr, impl_of, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemmGflops", nullptr, sgemm_gflops, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"clearCache", nullptr, clear_cache, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
