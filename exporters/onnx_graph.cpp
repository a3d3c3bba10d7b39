// This file implements OnnxGraph (see onnx_graph.hpp).
#include "exporters/onnx_graph.hpp"

#include <stdexcept>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

namespace hwnas {

namespace {

constexpr int64_t kIrVersion = 8;  // what Debian's onnx 1.12 writes and checks
constexpr int64_t kOpset = 13;     // per-channel QuantizeLinear/DequantizeLinear (axis) need 13

void set_dims(onnx::TensorShapeProto* shape, const std::vector<int64_t>& dims) {
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d == kBatchDim)
      dim->set_dim_param("batch");
    else
      dim->set_dim_value(d);
  }
}

template <typename T>
onnx::TensorProto* new_initializer(onnx::GraphProto* graph, const std::string& name, const std::vector<int64_t>& dims,
                                   OnnxType type, const std::vector<T>& values) {
  onnx::TensorProto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(int(type));
  for (int64_t d : dims) t->add_dims(d);
  // NOTE: raw_data is little endian by the ONNX spec, as every host we build on.
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

void add_value_info(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
                    OnnxType type, const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(int(type));
  set_dims(tensor->mutable_shape(), dims);
}

}  // namespace

struct OnnxGraph::Impl {
  onnx::ModelProto model;
};

OnnxGraph::OnnxGraph(const std::string& graph_name, const std::string& doc_string) : m_impl(std::make_unique<Impl>()) {
  onnx::ModelProto& m = m_impl->model;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("hwnas");
  m.set_producer_version(HWNAS_VERSION);
  m.set_doc_string(doc_string);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  m.mutable_graph()->set_name(graph_name);
}

OnnxGraph::~OnnxGraph() = default;

std::string OnnxGraph::node(const std::string& op_type, const std::vector<std::string>& inputs,
                            const std::string& output, const std::vector<OnnxAttribute>& attributes) {
  onnx::NodeProto* n = m_impl->model.mutable_graph()->add_node();
  n->set_op_type(op_type);
  n->set_name(output + "_" + op_type);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output);
  for (const OnnxAttribute& a : attributes) {
    onnx::AttributeProto* p = n->add_attribute();
    p->set_name(a.name);
    if (const auto* i = std::get_if<int64_t>(&a.value)) {
      p->set_type(onnx::AttributeProto::INT);
      p->set_i(*i);
    } else if (const auto* f = std::get_if<float>(&a.value)) {
      p->set_type(onnx::AttributeProto::FLOAT);
      p->set_f(*f);
    } else {
      p->set_type(onnx::AttributeProto::INTS);
      for (int64_t v : std::get<std::vector<int64_t>>(a.value)) p->add_ints(v);
    }
  }
  return output;
}

void OnnxGraph::initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  new_initializer(m_impl->model.mutable_graph(), name, dims, OnnxType::kFloat, v);
}
void OnnxGraph::initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int8_t>& v) {
  new_initializer(m_impl->model.mutable_graph(), name, dims, OnnxType::kInt8, v);
}
void OnnxGraph::initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int32_t>& v) {
  new_initializer(m_impl->model.mutable_graph(), name, dims, OnnxType::kInt32, v);
}
void OnnxGraph::initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
  new_initializer(m_impl->model.mutable_graph(), name, dims, OnnxType::kInt64, v);
}

void OnnxGraph::input(const std::string& name, OnnxType type, const std::vector<int64_t>& dims) {
  add_value_info(m_impl->model.mutable_graph()->mutable_input(), name, type, dims);
}

void OnnxGraph::output(const std::string& name, OnnxType type, const std::vector<int64_t>& dims) {
  add_value_info(m_impl->model.mutable_graph()->mutable_output(), name, type, dims);
}

std::string OnnxGraph::serialize() const {
  try {
    onnx::checker::check_model(m_impl->model);
  } catch (const std::exception& e) {
    throw std::logic_error(std::string("the ONNX exporter built an invalid model: ") + e.what());
  }
  return m_impl->model.SerializeAsString();
}

}  // namespace hwnas
