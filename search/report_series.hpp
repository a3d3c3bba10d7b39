// This file implements the report's progress series: the values its progress plots draw,
// taken from the trials as plain (x, y) points, apart from any drawing so that they can be
// checked on their own. Against evaluations and against wall time: the best int8
// validation accuracy so far that fits a target; the feasible share of the proposals as
// the search went. Trials of older run directories without finish times or proposal
// counts give no points (the plots then say so), never an error.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "search/report_data.hpp"

namespace hwnas {

using Series = std::vector<std::pair<double, double>>;

/// Per trial (in data.trials order): seconds from the earliest recorded finish time to its
/// own, or nothing when it has none. A resumed run's pause is part of it (a gap in the plot).
std::vector<std::optional<double>> elapsed_seconds(const ReportData& data);

/// The best int8 validation accuracy (%) among the trials so far that fit `target`, as a
/// step line over `x` (one value per trial, nothing to leave the trial out), in the order
/// of x: (x, best) after each trial once one fits, with a point before each rise.
Series best_fitting_so_far(const ReportData& data, const ReportTarget& target, const std::vector<std::optional<double>>& x);

/// Each trial's history line number (its x against evaluations).
std::vector<std::optional<double>> history_rows(const ReportData& data);

/// Where the stage changes (search -> promotion -> final) along `x`: (x of the first trial of
/// the new stage, its stage), in the order of x.
std::vector<std::pair<double, std::string>> stage_changes(const ReportData& data,
                                                          const std::vector<std::optional<double>>& x);

/// (search candidates proposed, feasible share in %) for every search trial that records
/// its proposal counts, by candidate index; the share counts the draws up to and including
/// that candidate's.
Series feasible_share_series(const ReportData& data);

}  // namespace hwnas
