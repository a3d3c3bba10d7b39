// This file implements quantisation-aware training (see qat.hpp): build the deployed
// network, load the folded weights, install the fake quantisation and run the ordinary
// training loop on it.
#include "trainers/qat/qat.hpp"

#include <algorithm>
#include <cassert>

#include "trainers/training/training_loop.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

namespace {

// Whether int8 inference rounds op `op`'s output to its own or its input's grid (true),
// or produces values already on the input's grid or not read by the loss (false).
bool rounds_output(const FoldedOp& op) {
  switch (op.deploy.kind) {
    case DeployKind::kReshape:
    case DeployKind::kSoftmax:
      return false;
    case DeployKind::kPool:
      return op.deploy.average;
    default:
      return true;
  }
}

}  // namespace

std::unique_ptr<FakeQuantization> make_fake_quantization(const DeployedArchitecture& deployed,
                                                         const FoldedModel& folded,
                                                         const std::vector<TensorRange>& ranges,
                                                         const Network& net, double momentum) {
  assert(ranges.size() == folded.tensor_shapes.size());
  auto fq = std::make_unique<FakeQuantization>(deployed.arch, net.max_batch(), momentum);
  for (const TensorRange& r : ranges) fq->add_tensor(r);  // ids = deploy tensor ids
  fq->quantize_input(0);
  for (const FoldedOp& op : folded.ops) {
    if (!rounds_output(op)) continue;
    const int layer = deployed.tensor_layer[size_t(op.deploy.output)];
    if (op.deploy.kind == DeployKind::kPool)  // TF Lite: the output keeps the input's grid
      fq->quantize_output(layer, op.deploy.inputs[0], false);
    else
      fq->quantize_output(layer, op.deploy.output, true);
  }
  for (const ParamBlock& b : net.blocks())
    if (b.trainable && b.name == "kernel")
      fq->quantize_weights(b, weight_scale_count(deployed.arch.layer(size_t(b.layer))));
  return fq;
}

TrainingOptions qat_training_options(const TrainingOptions& training, const Int8Options& int8) {
  TrainingOptions o = training;
  o.epochs = int8.qat_epochs;
  o.learning_rate = int8.qat_learning_rate;
  o.warmup_epochs = 0.0;
  return o;
}

QatResult quantization_aware_training(const Architecture& arch, const FoldedModel& folded,
                                      const std::vector<TensorRange>& ranges,
                                      const Dataset& train, const Dataset& validation,
                                      const TrainingOptions& training, const Int8Options& int8,
                                      uint64_t seed) {
  assert(train.size() > 0 && int8.qat_epochs >= 1);
  const DeployedArchitecture deployed = deployed_architecture(arch);
  const TrainingOptions options = qat_training_options(training, int8);
  const int max_batch = int(std::min<int64_t>(options.batch_size, int64_t(train.size())));
  // Every parameter is overwritten by the folded weights: the init seed does not matter.
  Network net(deployed.arch, max_batch, 0);
  load_folded_weights(folded, deployed, net.blocks(), net.parameters());
  const std::unique_ptr<FakeQuantization> fq =
      make_fake_quantization(deployed, folded, ranges, net, kQatRangeMomentum);
  net.set_hooks(fq.get());
  QatResult r;
  r.result = train_network(net, train, validation, nullptr, options,
                           derive_seed(seed, seed_stream::kQatShuffle, 0));
  fq->fold_pending_ranges();
  net.set_hooks(nullptr);
  r.folded = read_folded_weights(folded, deployed, net.blocks(), net.parameters());
  r.ranges = fq->ranges();
  return r;
}

}  // namespace hwnas
