// This file implements the report's Pareto-model section (see report_models.hpp).
#include "search/report_models.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "search/report_html.hpp"
#include "search/report_svg.hpp"

namespace hwnas {

namespace {

std::optional<double> number(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string json_text(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

std::string accuracy_table(const Trial* t) {
  std::string out = "<table class=\"small\">" + header_row({"", "float", "int8"}) + "\n";
  out += "<tr>" + cell("validation %") + cell(show_percent(t ? t->val_float : std::nullopt)) +
         cell(show_percent(t ? t->val_int8 : std::nullopt)) + "</tr>\n";
  out += "<tr>" + cell("test %") + cell(show_percent(t ? t->test_float : std::nullopt)) +
         cell(show_percent(t ? t->test_int8 : std::nullopt)) + "</tr></table>\n";
  return out;
}

// Flash and RAM breakdowns side by side, in bytes.
std::string breakdown_table(const nlohmann::json& report) {
  const nlohmann::json flash = report.value("flash", nlohmann::json::object());
  const nlohmann::json ram = report.value("ram", nlohmann::json::object());
  std::string out = "<table class=\"small\">" + header_row({"flash", "bytes"}) + "\n";
  for (const char* key : {"weights", "biases", "quant_params", "model_metadata", "kernel_code", "runtime_code", "total_bytes"})
    out += "<tr>" + cell(key) + cell(show_count(number(flash, key))) + "</tr>\n";
  out += "</table><table class=\"small\">" + header_row({"RAM", "bytes"}) + "\n";
  for (const char* key : {"arena", "persistent", "runtime", "stack", "total_bytes"})
    out += "<tr>" + cell(key) + cell(show_count(number(ram, key))) + "</tr>\n";
  return out + "</table>\n";
}

std::string shape_text(const nlohmann::json& op) {
  if (!op.contains("output_shape") || !op["output_shape"].is_array()) return kMissing;
  std::string s;
  for (const auto& d : op["output_shape"]) s += (s.empty() ? "" : "\u00d7") + (d.is_number() ? d.dump() : "?");
  return s;
}

std::string layer_table(const nlohmann::json& report) {
  std::string out = "<div class=\"scroll\"><table class=\"layers\">" +
                    header_row({"step", "op", "kind", "output", "MACs", "params", "latency ms", "live bytes"}) + "\n";
  const nlohmann::json ops = report.value("ops", nlohmann::json::array());
  for (size_t i = 0; i < ops.size(); ++i) {
    const nlohmann::json& op = ops[i];
    out += "<tr>" + cell(std::to_string(i)) + cell(json_text(op, "label")) + cell(json_text(op, "kind")) +
           cell(shape_text(op)) + cell(show_count(number(op, "macs"))) + cell(show_count(number(op, "params"))) +
           cell(show(number(op, "latency_ms"), 3)) + cell(show_count(number(op, "live_bytes"))) + "</tr>\n";
  }
  return out + "</table></div>\n";
}

// The arena plan: x the operator steps, y the offset in the arena (KB).
std::string arena_timeline(const nlohmann::json& report, const std::string& mcu) {
  const nlohmann::json buffers = report.value("buffers", nlohmann::json::array());
  const nlohmann::json ops = report.value("ops", nlohmann::json::array());
  if (!buffers.is_array() || buffers.empty()) return "<p>No arena plan in the cost report.</p>\n";
  double top = 0, last_step = double(ops.size());
  for (const auto& b : buffers) {
    top = std::max(top, number(b, "offset").value_or(0) + number(b, "size").value_or(0));
    last_step = std::max(last_step, number(b, "last_step").value_or(0) + 1);
  }
  // The peak: the step whose live bytes are largest.
  size_t peak = 0;
  for (size_t i = 0; i < ops.size(); ++i)
    if (number(ops[i], "live_bytes").value_or(0) > number(ops[peak], "live_bytes").value_or(0)) peak = i;
  SvgPlot plot(800, 260, Span{0, last_step}, Span{0, std::max(top, 1.0) / 1024.0}, "operator step",
               "arena offset (KB)");
  if (!ops.empty()) {
    plot.rect(double(peak), 0, double(peak) + 1, top / 1024.0, "peak",
              fmt::format("peak at step {} ({}): {} live bytes", peak, json_text(ops[peak], "label"),
                          show_count(number(ops[peak], "live_bytes"))));
  }
  for (const auto& b : buffers) {
    const double offset = number(b, "offset").value_or(0), size = number(b, "size").value_or(0);
    std::string tensors;
    if (b.contains("tensors") && b["tensors"].is_array())
      for (const auto& t : b["tensors"]) tensors += (tensors.empty() ? "" : ", ") + (t.is_string() ? t.get<std::string>() : t.dump());
    const std::string scratch = json_text(b, "scratch_of");
    plot.rect(number(b, "first_step").value_or(0), offset / 1024.0, number(b, "last_step").value_or(0) + 1,
              (offset + size) / 1024.0, scratch.empty() ? "buf" : "buf scratch",
              fmt::format("{}{}: {} bytes at offset {}, steps {}-{}", scratch.empty() ? "" : "scratch of ",
                          scratch.empty() ? tensors : scratch, show_count(size), show_count(offset),
                          show(number(b, "first_step"), 0), show(number(b, "last_step"), 0)));
  }
  plot.rule(top / 1024.0, false, "budget", fmt::format("arena {} KB", show(top / 1024.0, 1)));
  return plot.svg(mcu + ": arena plan over the operator steps");
}

std::string target_details(const nlohmann::json& report, const std::string& mcu) {
  std::string interval;
  if (report.contains("latency_interval_ms") && report["latency_interval_ms"].is_object())
    interval = " (90% interval " + show(number(report["latency_interval_ms"], "low"), 2) + "\u2013" +
               show(number(report["latency_interval_ms"], "high"), 2) + ")";
  std::string out = fmt::format("<details open><summary>{} ({}): latency {} ms{}, RAM {} KB, flash {} KB</summary>\n",
                                escape_html(mcu), escape_html(json_text(report, "runtime")),
                                show(number(report, "latency_ms"), 2), interval,
                                show_kb(number(report.value("ram", nlohmann::json::object()), "total_bytes")),
                                show_kb(number(report.value("flash", nlohmann::json::object()), "total_bytes")));
  out += "<div class=\"plots\">" + breakdown_table(report) + "</div>\n";
  out += arena_timeline(report, mcu);
  out += layer_table(report);
  return out + "</details>\n";
}

std::string exported_list(const ModelFiles& m, const std::string& link_prefix) {
  if (m.exported.empty()) return "<p>Exported files: - (none yet; a finished run exports its Pareto set to export/).</p>\n";
  std::string out = "<p>Exported files:</p><ul class=\"files\">";
  for (const std::string& f : m.exported)
    out += fmt::format("<li><a href=\"{}\">{}</a></li>", escape_html(link_prefix + f), escape_html(f));
  return out + "</ul>\n";
}

std::string model_block(const ReportData& data, const std::string& id, const std::string& link_prefix) {
  const Trial* t = latest_trial(data, id);
  std::vector<std::string> fronts;
  for (const ReportTarget& target : data.targets)
    for (const auto& member : target.front)
      if (member.first == id) fronts.push_back(target.mcu);
  std::string on;
  for (const auto& f : fronts) on += (on.empty() ? "" : ", ") + escape_html(f);
  std::string out = fmt::format("<div class=\"model\" id=\"{}\"><h3>{}{}</h3>\n<p>On the front of {}.", model_anchor(id),
                                escape_html(id), t && t->baseline ? " (baseline)" : "", on);
  if (t)
    out += fmt::format(" Latest evaluation: <a href=\"#{}\">row {}</a> ({} stage, {} parameters, {} MACs).",
                       trial_anchor(*t), t->row, escape_html(t->stage.empty() ? kMissing : t->stage),
                       show_count(t->params), show_count(t->macs));
  out += "</p>\n" + accuracy_table(t);
  const ModelFiles& m = data.models.at(id);
  if (m.cost_reports.empty()) out += "<p>No models/" + escape_html(id) + "/cost_report.json: per-layer costs are missing.</p>\n";
  for (const ReportTarget& target : data.targets)
    if (const auto it = m.cost_reports.find(target.mcu); it != m.cost_reports.end())
      out += target_details(it->second, target.mcu);
  return out + exported_list(m, link_prefix) + "</div>\n";
}

}  // namespace

std::string models_section(const ReportData& data, const std::string& link_prefix) {
  std::string out = "<section id=\"models\"><h2>Pareto models</h2>\n";
  const auto ids = pareto_ids(data);
  if (ids.empty()) out += "<p>No Pareto models yet (pareto.json is missing or its fronts are empty).</p>\n";
  for (const std::string& id : ids) out += model_block(data, id, link_prefix);
  return out + "</section>\n";
}

}  // namespace hwnas
