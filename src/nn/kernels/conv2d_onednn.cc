#include "src/nn/kernels/conv2d_onednn.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

namespace edgepipe::nn::kernels {

class OnednnConvPlan {
 public:
  dnnl::memory::desc src, dst, user_weights, bias;
  // The kernel's layout for each primitive (each chose its own: the forward
  // brgconv's layout is one the JIT weight-gradient kernel does not take).
  dnnl::memory::desc fwd_weights, bwd_data_weights, bwd_weights_weights;
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights bwd_weights;
  dnnl::reorder to_fwd, to_bwd_data, from_bwd_weights;
  size_t scratchpad_bytes = 0;  // the largest of the three primitives'
  bool has_bias = false;
  bool fast_backward_data = false;  // not oneDNN's reference loops
};

namespace {

using Tag = dnnl::memory::format_tag;
using Dt = dnnl::memory::data_type;

dnnl::engine& Engine() {
  static dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

// Each thread's stream and scratchpad (user scratchpad mode: no hidden
// per-primitive buffers, and nothing shared between threads).
struct ThreadState {
  dnnl::stream stream{Engine()};
  void* scratchpad = nullptr;
  size_t scratchpad_bytes = 0;
  ~ThreadState() { std::free(scratchpad); }
  void* Scratchpad(size_t bytes) {
    if (bytes > scratchpad_bytes) {
      std::free(scratchpad);
      scratchpad_bytes = (bytes + 63) / 64 * 64;
      scratchpad = std::aligned_alloc(64, scratchpad_bytes);
    }
    return scratchpad;
  }
};
ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

// Cache key: every field of the dims, bias, activation.
using Key = std::array<int64_t, 17>;
Key MakeKey(const Conv2DDims& d, bool has_bias, ConvActivation act) {
  return {d.n,
          d.h,
          d.w,
          d.c,
          d.kh,
          d.kw,
          d.oc,
          d.stride_h,
          d.stride_w,
          d.dilation_h,
          d.dilation_w,
          d.pad_top,
          d.pad_left,
          d.oh,
          d.ow,
          has_bias ? 1 : 0,
          static_cast<int64_t>(act)};
}

constexpr size_t kMaxPlans = 512;

std::mutex& CacheMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}
std::map<Key, std::unique_ptr<OnednnConvPlan>>& Cache() {
  static auto* cache = new std::map<Key, std::unique_ptr<OnednnConvPlan>>;
  return *cache;
}

// The layouts every chunk size of one shape shares (chosen at the reference
// chunk size), or all zero: let each primitive choose.
struct KernelLayouts {
  dnnl::memory::desc fwd, bwd_data, bwd_weights;
};

// Builds the plan with the kernel layouts `layouts` (zero: chosen here).
// Null if oneDNN refuses, picks other layouts, or runs reference loops.
std::unique_ptr<OnednnConvPlan> CreatePlan(const Conv2DDims& d, bool has_bias, ConvActivation act,
                                           const KernelLayouts& layouts) {
  using dnnl::memory;
  // oneDNN's right/bottom padding; a "valid" window whose stride leaves input
  // cells unread gives a negative one, which oneDNN does not take.
  const int64_t pad_bottom =
      (d.oh - 1) * d.stride_h + (d.kh - 1) * d.dilation_h + 1 - d.h - d.pad_top;
  const int64_t pad_right =
      (d.ow - 1) * d.stride_w + (d.kw - 1) * d.dilation_w + 1 - d.w - d.pad_left;
  if (pad_bottom < 0 || pad_right < 0 || d.n < 1) return nullptr;
  try {
    auto plan = std::make_unique<OnednnConvPlan>();
    plan->has_bias = has_bias;
    plan->src = memory::desc({d.n, d.c, d.h, d.w}, Dt::f32, Tag::nhwc);
    plan->dst = memory::desc({d.n, d.oc, d.oh, d.ow}, Dt::f32, Tag::nhwc);
    plan->user_weights = memory::desc({d.oc, d.c, d.kh, d.kw}, Dt::f32, Tag::hwio);
    plan->bias = has_bias ? memory::desc({d.oc}, Dt::f32, Tag::x) : memory::desc();
    const memory::desc any({d.oc, d.c, d.kh, d.kw}, Dt::f32, Tag::any);
    auto or_any = [&](const memory::desc& md) { return md.is_zero() ? any : md; };
    const memory::dims strides = {d.stride_h, d.stride_w};
    const memory::dims dilates = {d.dilation_h - 1, d.dilation_w - 1};
    const memory::dims pad_l = {d.pad_top, d.pad_left}, pad_r = {pad_bottom, pad_right};

    // Two attribute objects: a dnnl::primitive_attr is a handle, so a copy
    // would share the forward's post-ops with the backward primitives, which
    // refuse them (oneDNN 2.6: "could not create a primitive descriptor
    // iterator"); that left every Conv2D(relu) forward on im2col / direct.
    dnnl::primitive_attr attr, fwd_attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    fwd_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (act != ConvActivation::kLinear) {
      dnnl::post_ops ops;
      if (act == ConvActivation::kRelu) {
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
      } else {
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f);
      }
      fwd_attr.set_post_ops(ops);
    }
    const auto algo = dnnl::algorithm::convolution_direct;
    dnnl::convolution_forward::primitive_desc fwd_pd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, plan->src,
                                        or_any(layouts.fwd), plan->bias, plan->dst, strides,
                                        dilates, pad_l, pad_r),
        fwd_attr, Engine());
    dnnl::convolution_backward_data::primitive_desc bwd_data_pd(
        dnnl::convolution_backward_data::desc(algo, plan->src, or_any(layouts.bwd_data), plan->dst,
                                              strides, dilates, pad_l, pad_r),
        attr, Engine(), fwd_pd);
    dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd(
        dnnl::convolution_backward_weights::desc(algo, plan->src, or_any(layouts.bwd_weights),
                                                 plan->bias, plan->dst, strides, dilates, pad_l,
                                                 pad_r),
        attr, Engine(), fwd_pd);
    plan->fwd_weights = fwd_pd.weights_desc();
    plan->bwd_data_weights = bwd_data_pd.weights_desc();
    plan->bwd_weights_weights = bwd_weights_pd.diff_weights_desc();
    // The primitives must use the layouts asked for (NHWC activations, the
    // shape's kernel layouts): "any" could come back different.
    if ((!layouts.fwd.is_zero() &&
         (plan->fwd_weights != layouts.fwd || plan->bwd_data_weights != layouts.bwd_data ||
          plan->bwd_weights_weights != layouts.bwd_weights)) ||
        fwd_pd.src_desc() != plan->src || fwd_pd.dst_desc() != plan->dst ||
        bwd_data_pd.diff_src_desc() != plan->src || bwd_data_pd.diff_dst_desc() != plan->dst ||
        bwd_weights_pd.src_desc() != plan->src || bwd_weights_pd.diff_dst_desc() != plan->dst) {
      return nullptr;
    }
    // oneDNN's reference loops ("ref:any") are far slower than our own
    // path: only the JIT primitives are worth it.
    auto is_ref = [](const auto& pd) {
      return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
    };
    if (is_ref(fwd_pd) || is_ref(bwd_weights_pd)) return nullptr;
    plan->fast_backward_data = !is_ref(bwd_data_pd);
    plan->scratchpad_bytes =
        std::max({fwd_pd.scratchpad_desc().get_size(), bwd_data_pd.scratchpad_desc().get_size(),
                  bwd_weights_pd.scratchpad_desc().get_size()});
    plan->fwd = dnnl::convolution_forward(fwd_pd);
    plan->bwd_data = dnnl::convolution_backward_data(bwd_data_pd);
    plan->bwd_weights = dnnl::convolution_backward_weights(bwd_weights_pd);
    auto reorder = [](const memory::desc& from, const memory::desc& to) {
      return dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), from, Engine(), to));
    };
    plan->to_fwd = reorder(plan->user_weights, plan->fwd_weights);
    plan->to_bwd_data = reorder(plan->user_weights, plan->bwd_data_weights);
    plan->from_bwd_weights = reorder(plan->bwd_weights_weights, plan->user_weights);
    return plan;
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

// Cached lookup; `created` is what to insert when the key is missing.
const OnednnConvPlan* Lookup(const Key& key, bool* found) {
  std::lock_guard<std::mutex> lock(CacheMutex());
  auto it = Cache().find(key);
  *found = it != Cache().end();
  return *found ? it->second.get() : nullptr;
}
const OnednnConvPlan* Insert(const Key& key, std::unique_ptr<OnednnConvPlan> plan) {
  std::lock_guard<std::mutex> lock(CacheMutex());
  if (Cache().size() >= kMaxPlans && Cache().count(key) == 0) {
    // Far more shapes than any model has: stop caching rather than grow
    // without bound (the plan is leaked on purpose: a caller may hold it).
    return plan.release();
  }
  auto [it, inserted] = Cache().emplace(key, std::move(plan));
  return it->second.get();  // a racing thread's plan if it inserted first
}

dnnl::memory Mem(const dnnl::memory::desc& md, const void* p) {
  return dnnl::memory(md, Engine(), const_cast<void*>(p));
}

void Execute(const OnednnConvPlan& plan, const dnnl::primitive& prim,
             std::unordered_map<int, dnnl::memory> args) {
  ThreadState& state = State();
  if (plan.scratchpad_bytes > 0) {
    dnnl::memory::desc md({static_cast<int64_t>(plan.scratchpad_bytes)}, Dt::u8, Tag::x);
    args.emplace(DNNL_ARG_SCRATCHPAD, Mem(md, state.Scratchpad(plan.scratchpad_bytes)));
  }
  prim.execute(state.stream, args);
  state.stream.wait();
}

}  // namespace

const OnednnConvPlan* GetOnednnConvPlan(const Conv2DDims& d, bool has_bias, ConvActivation act) {
  const Key key = MakeKey(d, has_bias, act);
  bool found;
  const OnednnConvPlan* plan = Lookup(key, &found);
  if (found) return plan;
  // The kernel layouts are those chosen for (kOnednnRefImages images, bias,
  // no activation), whatever this plan's chunk size, bias and activation.
  KernelLayouts layouts;  // zero: let oneDNN choose
  if (d.n != kOnednnRefImages || !has_bias || act != ConvActivation::kLinear) {
    Conv2DDims ref = d;
    ref.n = kOnednnRefImages;
    const OnednnConvPlan* ref_plan = GetOnednnConvPlan(ref, true, ConvActivation::kLinear);
    if (ref_plan == nullptr) return Insert(key, nullptr);
    layouts = {ref_plan->fwd_weights, ref_plan->bwd_data_weights, ref_plan->bwd_weights_weights};
  }
  return Insert(key, CreatePlan(d, has_bias, act, layouts));
}

int64_t OnednnKernelFloats(const OnednnConvPlan& plan) {
  return static_cast<int64_t>(
             std::max(plan.fwd_weights.get_size(), plan.bwd_data_weights.get_size())) /
         static_cast<int64_t>(sizeof(float));
}
int64_t OnednnKernelGradFloats(const OnednnConvPlan& plan) {
  return static_cast<int64_t>(plan.bwd_weights_weights.get_size() / sizeof(float));
}

bool OnednnHasFastBackwardData(const OnednnConvPlan& plan) { return plan.fast_backward_data; }

void OnednnReorderKernel(const OnednnConvPlan& plan, bool for_backward_data, float* blocked,
                         const float* kernel) {
  Execute(
      plan, for_backward_data ? plan.to_bwd_data : plan.to_fwd,
      {{DNNL_ARG_FROM, Mem(plan.user_weights, kernel)},
       {DNNL_ARG_TO, Mem(for_backward_data ? plan.bwd_data_weights : plan.fwd_weights, blocked)}});
}

void OnednnReorderKernelGrad(const OnednnConvPlan& plan, float* dkernel,
                             const float* blocked_dkernel) {
  Execute(plan, plan.from_bwd_weights,
          {{DNNL_ARG_FROM, Mem(plan.bwd_weights_weights, blocked_dkernel)},
           {DNNL_ARG_TO, Mem(plan.user_weights, dkernel)}});
}

void OnednnConvForward(const OnednnConvPlan& plan, float* out, const float* in,
                       const float* blocked_kernel, const float* bias) {
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, Mem(plan.src, in)},
      {DNNL_ARG_WEIGHTS, Mem(plan.fwd_weights, blocked_kernel)},
      {DNNL_ARG_DST, Mem(plan.dst, out)}};
  if (plan.has_bias) args.emplace(DNNL_ARG_BIAS, Mem(plan.bias, bias));
  Execute(plan, plan.fwd, std::move(args));
}

void OnednnConvBackwardData(const OnednnConvPlan& plan, float* din, const float* dout,
                            const float* blocked_kernel) {
  Execute(plan, plan.bwd_data,
          {{DNNL_ARG_DIFF_DST, Mem(plan.dst, dout)},
           {DNNL_ARG_WEIGHTS, Mem(plan.bwd_data_weights, blocked_kernel)},
           {DNNL_ARG_DIFF_SRC, Mem(plan.src, din)}});
}

void OnednnConvBackwardWeights(const OnednnConvPlan& plan, float* blocked_dkernel, float* dbias,
                               const float* dout, const float* in) {
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, Mem(plan.src, in)},
      {DNNL_ARG_DIFF_DST, Mem(plan.dst, dout)},
      {DNNL_ARG_DIFF_WEIGHTS, Mem(plan.bwd_weights_weights, blocked_dkernel)}};
  if (plan.has_bias) args.emplace(DNNL_ARG_DIFF_BIAS, Mem(plan.bias, dbias));
  Execute(plan, plan.bwd_weights, std::move(args));
}

}  // namespace edgepipe::nn::kernels
