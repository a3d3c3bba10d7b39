// This file implements TrainingData: the splits each evaluation trains and scores on. A
// candidate trains at the input resolution its network has (the data resized once, on
// first use) and, for a low-fidelity evaluation, on a class-stratified subset of the
// training split (the same subset for every candidate, so they compare fairly; validation
// and test stay whole). A final model's later trainings hold out other validation sets,
// loaded on first use.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "space/tensor_shape.hpp"
#include "trainers/data/dataset.hpp"

namespace hwnas {

class TrainingData {
 public:
  /// The splits holding out validation split k (load_search_data's validation_split).
  using SplitLoader = std::function<DatasetSplits(int k)>;

  /// `load` gives the splits of each validation split; `subset_seed` draws the subsets.
  TrainingData(SplitLoader load, uint64_t subset_seed) : m_load(std::move(load)), m_seed(subset_seed) {}
  /// With split 0 already loaded (kept by reference: it must outlive this object).
  TrainingData(const DatasetSplits& split0, SplitLoader load, uint64_t subset_seed)
      : m_load(std::move(load)), m_seed(subset_seed), m_split0(&split0) {}

  /// The splits for a network with input `input`, `train_samples` training samples (0 or
  /// more than there are: all) and validation split `validation_split`.
  /// NOTE: thread-safe; the returned reference lives as long as this object.
  const DatasetSplits& at(const TensorShape& input, int64_t train_samples, int validation_split);

 private:
  const DatasetSplits& split(int k);  // m_mutex held

  SplitLoader m_load;
  uint64_t m_seed;
  const DatasetSplits* m_split0 = nullptr;
  std::mutex m_mutex;
  std::map<int, std::unique_ptr<DatasetSplits>> m_splits;
  std::map<std::tuple<int, int, int64_t, int>, std::unique_ptr<DatasetSplits>> m_variants;
};

}  // namespace hwnas
