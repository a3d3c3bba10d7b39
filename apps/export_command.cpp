// This file implements `nas-run export` (see export_command.hpp).
#include "apps/export_command.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "search/run_export.hpp"

namespace hwnas {

CLI::App* add_export_subcommand(CLI::App& app, ExportCommandOptions& o) {
  auto* sub = app.add_subcommand("export", "write a run's models as deployable files (C, ONNX, TF Lite) with their cost reports");
  sub->add_option("run_dir", o.run_dir, "the run directory")->required()->check(CLI::ExistingDirectory);
  auto* pareto = sub->add_flag("--pareto", o.pareto, "the run's Pareto set, every target (the default)");
  sub->add_option("--ids", o.ids, "candidate identities, comma separated (see history.jsonl or pareto.json)")
      ->delimiter(',')
      ->excludes(pareto);
  sub->add_option("--format", o.format, "c, onnx, tflite or all")->capture_default_str();
  sub->add_option("--out", o.out, "output folder (default: RUN_DIR/export)");
  sub->fallthrough();
  return sub;
}

int run_export_command(const ExportCommandOptions& o) {
  ExportRequest request;
  request.run_dir = o.run_dir;
  request.ids = o.ids;
  request.formats = parse_export_formats(o.format);
  request.out = o.out;
  const std::vector<ExportedModel> exported = export_models(request);
  for (const ExportedModel& m : exported) std::cout << m.dir << "\n";
  return 0;
}

}  // namespace hwnas
