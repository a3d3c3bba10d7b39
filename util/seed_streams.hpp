// This file implements the one table of a run's random streams. Every random draw of a
// run gets its seed from derive_seed(parent seed, stream, index) with a stream of this
// table, never from a thread or the clock, so results do not depend on scheduling. Two
// uses never share a stream; the values are part of the results (changing one changes
// every run), so they never change.
#pragma once

#include <cstdint>

#include "util/seeding.hpp"

namespace hwnas::seed_stream {

// From the run seed (search.seed):
inline constexpr uint64_t kProposals = 1;   ///< the strategy's proposal generator (index 0)
inline constexpr uint64_t kCandidate = 2;   ///< candidate k's training seed at rung 0 (index k)
inline constexpr uint64_t kData = 3;        ///< the dataset's splits and limits (index 0)
inline constexpr uint64_t kTrainCommand = 4;  ///< `nas-run train`'s training seed (index 0)
inline constexpr uint64_t kSubset = 5;      ///< the low-fidelity training subset (index 0)
// From a candidate's rung-0 seed:
inline constexpr uint64_t kRung = 4;        ///< its training seed at rung r > 0 (index r)
// From a candidate's training seed:
inline constexpr uint64_t kSeedRun = 6;     ///< training k > 0 of a final model (index k)
inline constexpr uint64_t kInit = 0x6e6574;         ///< "net": the network's initialisation seed
inline constexpr uint64_t kShuffle = 0x73687566;    ///< "shuf": epoch order (index 0)
inline constexpr uint64_t kQatShuffle = 0x71617473; ///< "qats": QAT's epoch order (index 0)
// From the initialisation seed: one stream per parameter block (index: block).
inline constexpr uint64_t kInitBlock = 0x696e6974;  ///< "init"
// From the epoch-order seed:
inline constexpr uint64_t kAugment = 0x61756720;    ///< "aug ": augmentation draws (index 0)
// From the data seed (kData): index = DataDraw.
inline constexpr uint64_t kDataDraw = 0x64617461;   ///< "data"
enum DataDraw : uint64_t { kTrainLimit, kTestLimit, kValidation, kPatterns, kTrainSamples, kTestSamples };
// From the kValidation draw's seed:
inline constexpr uint64_t kOtherValidation = 0x76616c;  ///< "val": validation split k > 0 (index k)

}  // namespace hwnas::seed_stream
