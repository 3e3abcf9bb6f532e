#include "src/lite/converter_ops/onnx_node.h"

#include <iterator>

namespace edgepipe::lite {
namespace {

constexpr int64_t kToNchw[] = {0, 3, 1, 2};
constexpr int64_t kToNhwc[] = {0, 2, 3, 1};

}  // namespace

const Shape& OnnxNode::InShape(size_t i) const {
  return g_.values[static_cast<size_t>(node_.inputs[i])].shape;
}

const Shape& OnnxNode::OutShape() const {
  return g_.values[static_cast<size_t>(node_.output)].shape;
}

std::string OnnxNode::Pre(FusedActivation a) const {
  return a == FusedActivation::kNone ? out : out + "/pre_activation";
}

void OnnxNode::Act(const std::string& x, FusedActivation a) {
  const std::string name = out + "/activation";
  if (a == FusedActivation::kRelu) w.Node("Relu", {x}, out, name);
  if (a == FusedActivation::kRelu6) {
    auto [lo, hi] = w.Relu6Bounds();
    w.Node("Clip", {x, lo, hi}, out, name);
  }
}

std::string OnnxNode::ToNchw(const std::string& op) {
  w.Node("Transpose", {in[0]}, op + "/nchw_in", op + "/to_nchw");
  w.IntsAttr("perm", {std::begin(kToNchw), std::end(kToNchw)});
  return op + "/nchw_in";
}

void OnnxNode::ToNhwc(const std::string& x, const std::string& out_name, const std::string& op) {
  w.Node("Transpose", {x}, out_name, op + "/to_nhwc");
  w.IntsAttr("perm", {std::begin(kToNhwc), std::end(kToNhwc)});
}

void OnnxNode::ConvNode(const std::string& name, const std::vector<float>& weights,
                        const std::vector<int64_t>& dims, const Tensor& bias, int64_t group, int sh,
                        int sw, int dh, int dw, Padding padding, FusedActivation act) {
  const Shape& x = InShape(0);
  const Shape& y = OutShape();
  const auto ph = WindowPadding(x[1], y[1], dims[2], sh, dh, padding);
  const auto pw = WindowPadding(x[2], y[2], dims[3], sw, dw, padding);
  const std::string nchw = ToNchw(name);
  const std::string wname = w.FloatConst(name + "/kernel", dims, weights.data());
  const std::string bname = w.FloatConst(name + "/bias", bias.shape(), bias.data<float>());
  // The activation runs in NCHW, before the transpose back.
  const std::string conv = name + (act == FusedActivation::kNone ? "/nchw_out" : "/conv");
  w.Node("Conv", {nchw, wname, bname}, conv, name);
  w.IntsAttr("kernel_shape", {dims[2], dims[3]});
  w.IntsAttr("strides", {sh, sw});
  w.IntsAttr("dilations", {dh, dw});
  w.IntsAttr("pads", {ph[0], pw[0], ph[1], pw[1]});
  w.IntAttr("group", group);
  if (act == FusedActivation::kRelu) w.Node("Relu", {conv}, name + "/nchw_out", name + "/relu");
  if (act == FusedActivation::kRelu6) {
    auto [lo, hi] = w.Relu6Bounds();
    w.Node("Clip", {conv, lo, hi}, name + "/nchw_out", name + "/relu6");
  }
  ToNhwc(name + "/nchw_out", out, name);
}

}  // namespace edgepipe::lite
