// This file implements report.html (see run_report.hpp): the page around the sections.
#include "search/run_report.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "search/report_html.hpp"
#include "search/report_models.hpp"
#include "search/report_plots.hpp"
#include "search/report_progress.hpp"
#include "search/report_svg.hpp"
#include "search/report_trials.hpp"
#include "util/atomic_file.hpp"
#include "util/errors.hpp"

namespace hwnas {

namespace fs = std::filesystem;

namespace {

// At most one refresh per this interval during a run.
constexpr std::chrono::seconds kRefreshInterval{5};

// Colour-blind-safe colours (Okabe and Ito): Pareto orange, feasible blue, not fitting grey, rejected
// before training reddish purple.
constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}h3{margin:1em 0 .3em}
table{border-collapse:collapse;margin:.4em 1em .8em 0;font-size:12px}
td,th{border:1px solid #ddd;padding:2px 5px;text-align:right;white-space:nowrap}
th{background:#f2f2f2}td:nth-child(2),td:first-child{text-align:left}
table.small td:first-child{text-align:left}
.sortable th[data-col]{cursor:pointer}.scroll{overflow-x:auto}
tr:target{background:#ffe9a8}tr.base{background:#eef6ff}tr.base:target{background:#ffe9a8}
.plots{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}
svg.plot{background:#fff;border:1px solid #e4e4e4}
.frame{fill:none;stroke:#999}.grid{stroke:#eee}
.tx,.xl{text-anchor:middle;font-size:11px}.ty{text-anchor:end;font-size:11px}.yl{text-anchor:middle;font-size:11px}
.rl,.note{font-size:10px;fill:#b00}.note{text-anchor:end}
.pp{fill:#e69f00;stroke:#7a5200}.pf{fill:#56b4e9;stroke:#2a6f94;fill-opacity:.8}.pn{fill:#bbb;stroke:#888}
.pe{fill:#999;fill-opacity:.6}.pb{fill:none;stroke:#009e73;stroke-width:2}
.budget{stroke:#d55e00;stroke-dasharray:5 3;stroke-width:1.5}.stage{stroke:#666;stroke-dasharray:2 3}
.best{stroke-width:2;fill:none}.s0{stroke:#0072b2}.s1{stroke:#d55e00}.s2{stroke:#009e73}.s3{stroke:#cc79a7}
.buf{fill:#56b4e9;fill-opacity:.7;stroke:#2a6f94}.scratch{fill:#f0e442}.peak{fill:#d55e00;fill-opacity:.15}
a circle:hover{stroke:#000;stroke-width:2}
.pr{stroke:#cc79a7;stroke-width:1.5;fill:none}.pr:hover{stroke:#000;stroke-width:2.5}.band{fill:#faf3f7}
.legend .key{margin-right:1.2em;white-space:nowrap}.legend svg{vertical-align:middle}
.notes{background:#fff4e0;padding:.5em 1em}ul.files{columns:3;font-size:12px}
.model{border-top:1px dashed #ccc;margin-top:1em}
)";

// Sorting the trial table by a clicked column: numbers as numbers, missing ("-") last.
constexpr const char* kScript = R"(
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th[data-col]').forEach(function(h){h.addEventListener('click',function(){
  var c=+h.dataset.col,txt=h.dataset.kind==='text',b=t.tBodies[0],d=h.dataset.dir==='a'?-1:1;h.dataset.dir=d>0?'a':'d';
  var v=function(r){var s=r.cells[c].textContent;if(txt)return s;var n=parseFloat(s.replace(/\u2009/g,''));return isNaN(n)?null:n;};
  Array.from(b.rows).map(function(r){return [v(r),r];}).sort(function(x,y){
   if(x[0]===null||y[0]===null)return (x[0]===null)-(y[0]===null);
   return txt?d*x[0].localeCompare(y[0]):d*(x[0]-y[0]);}).forEach(function(p){b.appendChild(p[1]);});
 });});
});
)";

std::string state_text(const ReportData& data) {
  if (data.finished) return "finished (" + data.stop_reason + ")";
  if (!data.stop_reason.empty()) return "stopped (" + data.stop_reason + "); resumable with nas-run resume";
  return "running, or interrupted without a summary (this page is rewritten as results arrive)";
}

std::string overview(const ReportData& data) {
  std::string out = "<section id=\"overview\"><h2>Run</h2><table class=\"small\">\n";
  const auto row = [&](const std::string& k, const std::string& v) { out += "<tr>" + cell(k) + cell(v) + "</tr>\n"; };
  row("run directory", data.run_dir);
  row("state", state_text(data));
  row("strategy", data.strategy.empty() ? kMissing : data.strategy);
  const auto searched = std::count_if(data.trials.begin(), data.trials.end(), [](const Trial& t) { return t.rung == 0; });
  row("evaluations", fmt::format("{} in all; {} in the search stage of {} planned", data.trials.size(), searched,
                                 data.planned_evaluations ? std::to_string(*data.planned_evaluations) : kMissing));
  std::string targets;
  for (const ReportTarget& t : data.targets) targets += (targets.empty() ? "" : ", ") + t.mcu;
  row("targets", targets.empty() ? kMissing : targets);
  out += "</table>\n";
  if (!data.notes.empty()) {
    out += "<div class=\"notes\"><p>Parts of this run directory could not be read:</p><ul>";
    for (const auto& n : data.notes) out += "<li>" + escape_html(n) + "</li>";
    out += "</ul></div>\n";
  }
  out += "<p>Sections: <a href=\"#fronts\">accuracy against costs</a> &middot; <a href=\"#progress\">search "
         "progress</a> &middot; <a href=\"#trials\">trials</a> &middot; <a href=\"#models\">Pareto models</a>. "
         "Hover over a point for its candidate; click it for its row in the trial table.</p>\n";
  return out + "</section>\n";
}

}  // namespace

std::string render_run_report(const ReportData& data, const std::string& link_prefix) {
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>hwnas run report: " +
                     escape_html(data.title) + "</title>\n<style>" + kStyle + "</style></head>\n<body>\n";
  page += "<h1>hwnas run report: " + escape_html(data.title) + "</h1>\n";
  page += overview(data);
  page += fronts_section(data);
  page += progress_section(data);
  page += trials_section(data);
  page += models_section(data, link_prefix);
  page += "<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return page;
}

std::string write_run_report(const std::string& run_dir, const std::string& out) {
  const ReportData data = load_report_data(run_dir);
  const fs::path target = out.empty() ? fs::path(data.run_dir) / kReportFile : fs::absolute(out);
  std::error_code ec;
  const fs::path folder = target.parent_path();
  if (!fs::is_directory(folder, ec)) throw UserError(out + ": cannot write the report (no folder " + folder.string() + ")");
  std::string prefix = fs::relative(data.run_dir, folder, ec).generic_string();
  prefix = ec || prefix.empty() || prefix == "." ? "" : prefix + "/";
  write_file_atomically(target.string(), render_run_report(data, prefix));
  return target.string();
}

void ReportRefresher::write() {
  try {
    write_run_report(m_run_dir);
  } catch (const std::exception& e) {
    // Once per run: a report that cannot be written would otherwise repeat after every result.
    if (!m_warned) spdlog::warn("{}: could not write {} ({}); the run goes on", m_run_dir, kReportFile, e.what());
    m_warned = true;
  }
}

void ReportRefresher::refresh() {
  std::unique_lock<std::mutex> lock(m_mutex, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is writing it now
  const auto now = std::chrono::steady_clock::now();
  if (now < m_next_write) return;
  write();
  const auto spent = std::chrono::steady_clock::now() - now;
  m_next_write = now + std::max<std::chrono::steady_clock::duration>(kRefreshInterval, 10 * spent);
}

void ReportRefresher::finish() {
  std::lock_guard<std::mutex> lock(m_mutex);
  write();
}

}  // namespace hwnas
