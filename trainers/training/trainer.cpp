// This file implements train_and_evaluate (see trainer.hpp): check that the data fits
// the architecture, build a freshly initialised Network and run the training loop.
#include "trainers/training/trainer.hpp"

#include <algorithm>
#include <new>

#include "trainers/training/network.hpp"
#include "trainers/training/training_loop.hpp"
#include "util/errors.hpp"
#include "util/seed_streams.hpp"

namespace hwnas {

void check_data_fits(const Architecture& arch, const Dataset& data, const char* split) {
  const std::string prefix =
      "the " + std::string(split) + " set of '" + data.name + "' ";
  if (data.x.cols() != arch.input_shape().elements())
    throw UserError(prefix + "has samples of " + std::to_string(data.x.cols()) +
                    " values, architecture '" + arch.name() + "' expects input " +
                    arch.input_shape().str());
  if (data.num_classes != arch.output_shape().elements() || !arch.output_shape().is_flat())
    throw UserError(prefix + "has " + std::to_string(data.num_classes) +
                    " classes, architecture '" + arch.name() + "' outputs " +
                    arch.output_shape().str());
}

TrainResult train_and_evaluate(const Architecture& arch, const Dataset& train,
                               const Dataset& validation, const Dataset* test,
                               const TrainingOptions& options, uint64_t seed,
                               const EpochCallback& on_epoch) {
  return train_model(arch, train, validation, test, options, seed, on_epoch).result;
}

TrainedModel snapshot_model(const Network& net) {
  TrainedModel model;
  model.blocks = net.blocks();
  model.parameters = net.parameters();
  model.state = net.state();
  return model;
}

TrainedModel train_model(const Architecture& arch, const Dataset& train, const Dataset& validation,
                         const Dataset* test, const TrainingOptions& options, uint64_t seed,
                         const EpochCallback& on_epoch) {
  check_data_fits(arch, train, "train");
  check_data_fits(arch, validation, "validation");
  if (test) check_data_fits(arch, *test, "test");
  TrainedModel model;
  if (train.size() == 0) {
    model.result.failure = "the training set is empty";
    return model;
  }
  const int max_batch = int(std::min<int64_t>(options.batch_size, int64_t(train.size())));
  try {
    Network net(arch, max_batch, derive_seed(seed, seed_stream::kInit, 0));
    const TrainResult result = train_network(net, train, validation, test, options,
                                             derive_seed(seed, seed_stream::kShuffle, 0), on_epoch);
    model = snapshot_model(net);
    model.result = result;
    return model;
  } catch (const std::bad_alloc&) {
    // Memory is the machine's, not the candidate's: failing the candidate would record a
    // result that another run on the same config would not get. The run stops instead and
    // resumes with this candidate once memory is free (or the batch is smaller).
    throw EnvironmentError("out of memory while training '" + arch.name() + "' with batches of " +
                           std::to_string(max_batch) + " (free memory, or lower training.batch_size in a new run)");
  }
}

}  // namespace hwnas
