// This file implements the report's SVG plots (see report_svg.hpp).
#include "search/report_svg.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace hwnas {

namespace {

// Margins of the plot area inside the box: room for the tick labels and axis titles.
constexpr double kLeft = 58, kRight = 14, kTop = 16, kBottom = 40;
// The band of strip_mark below the box, and the size of its crosses.
constexpr double kStripHeight = 24, kCross = 3;

}  // namespace

Span Span::of(const std::vector<double>& values, std::optional<double> also) {
  Span s{0, 0};
  bool any = false;
  const auto take = [&](double v) {
    if (!std::isfinite(v)) return;
    s.lo = any ? std::min(s.lo, v) : v;
    s.hi = any ? std::max(s.hi, v) : v;
    any = true;
  };
  for (double v : values) take(v);
  if (also) take(*also);
  if (!any) return {0, 1};
  if (s.hi - s.lo < 1e-12) {
    // One value: a span around it, so that it sits inside the plot.
    const double pad = std::abs(s.lo) > 1e-12 ? std::abs(s.lo) * 0.1 : 1.0;
    s = {s.lo - pad, s.hi + pad};
  }
  return s;
}

std::vector<double> nice_ticks(Span span, int count) {
  const double raw = (span.hi - span.lo) / std::max(1, count);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  const double first = std::floor(span.lo / step) * step;
  for (double t = first; t < span.hi + step * 0.999 && ticks.size() < 64; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string short_number(double v) {
  const double a = std::abs(v);
  if (a >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string escape_html(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

SvgPlot::SvgPlot(int width, int height, Span x, Span y, std::string x_label, std::string y_label)
    : m_width(width), m_height(height), m_x_label(std::move(x_label)), m_y_label(std::move(y_label)) {
  // The axes run from tick to tick, so that every point lies inside the ticked range.
  m_x_ticks = nice_ticks(x, 6);
  m_y_ticks = nice_ticks(y, 5);
  m_x = {m_x_ticks.front(), m_x_ticks.back()};
  m_y = {m_y_ticks.front(), m_y_ticks.back()};
}

double SvgPlot::px(double x) const { return kLeft + (x - m_x.lo) / (m_x.hi - m_x.lo) * (m_width - kLeft - kRight); }
double SvgPlot::py(double y) const {
  return m_height - kBottom - (y - m_y.lo) / (m_y.hi - m_y.lo) * (m_height - kTop - kBottom);
}

void SvgPlot::point(double x, double y, const std::string& css_class, const std::string& title, const std::string& href,
                    double radius) {
  const std::string circle = fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{}" class="{}"><title>{}</title></circle>)",
                                         px(x), py(y), radius, css_class, escape_html(title));
  m_body += href.empty() ? circle + "\n" : fmt::format("<a href=\"{}\">{}</a>\n", escape_html(href), circle);
}

void SvgPlot::polyline(const std::vector<std::pair<double, double>>& points, const std::string& css_class,
                       const std::string& title) {
  if (points.empty()) return;
  std::string coords;
  for (const auto& [x, y] : points) coords += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
  coords.pop_back();
  m_body += fmt::format(R"(<polyline points="{}" class="{}" fill="none">{}</polyline>)", coords, css_class,
                        title.empty() ? "" : "<title>" + escape_html(title) + "</title>") +
            "\n";
}

void SvgPlot::rule(double value, bool vertical, const std::string& css_class, const std::string& label) {
  if (vertical) {
    const double x = px(value);
    // The label beside the line, on the side with room for it.
    const bool left = x > kLeft + 0.7 * (m_width - kLeft - kRight);
    m_body += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" class="{3}"/><text x="{4:.1f}" y="{5}" class="rl"{6}>{7}</text>)",
                          x, kTop, m_height - kBottom, css_class, left ? x - 3 : x + 3, kTop + 10,
                          left ? " text-anchor=\"end\"" : "", escape_html(label)) +
              "\n";
  } else {
    const double y = py(value);
    m_body += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" class="{3}"/><text x="{4}" y="{5:.1f}" class="rl">{6}</text>)",
                          kLeft, m_width - kRight, y, css_class, kLeft + 4, y - 3, escape_html(label)) +
              "\n";
  }
}

void SvgPlot::rect(double x0, double y0, double x1, double y1, const std::string& css_class, const std::string& title) {
  const double left = std::min(px(x0), px(x1)), top = std::min(py(y0), py(y1));
  m_body += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="{}"><title>{}</title></rect>)",
                        left, top, std::abs(px(x1) - px(x0)), std::abs(py(y1) - py(y0)), css_class, escape_html(title)) +
            "\n";
}

void SvgPlot::note(const std::string& text) { m_notes.push_back(text); }

void SvgPlot::strip_mark(double x, const std::string& css_class, const std::string& title, const std::string& band_label) {
  m_strip_label = band_label;
  const double cx = px(std::clamp(x, m_x.lo, m_x.hi));
  // Three rows, in turn, so that marks at about the same cost stay apart.
  const double cy = m_height + 7 + 5.0 * (m_strip_marks++ % 3);
  m_strip += fmt::format(R"(<path d="M{0:.1f} {1:.1f}l{2} {2}m0 -{2}l-{2} {2}" class="{3}"><title>{4}</title></path>)",
                         cx - kCross, cy - kCross, 2 * kCross, css_class, escape_html(title)) +
             "\n";
}

std::string SvgPlot::axes() const {
  std::string out = fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" class="frame"/>)", kLeft, kTop,
                                m_width - kLeft - kRight, m_height - kTop - kBottom) +
                    "\n";
  for (double t : m_x_ticks)
    out += fmt::format(R"(<line x1="{0:.1f}" x2="{0:.1f}" y1="{1}" y2="{2}" class="grid"/><text x="{0:.1f}" y="{3}" class="tx">{4}</text>)",
                       px(t), kTop, m_height - kBottom + 4, m_height - kBottom + 16, short_number(t)) +
           "\n";
  for (double t : m_y_ticks)
    out += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" class="grid"/><text x="{3}" y="{4:.1f}" class="ty">{5}</text>)",
                       kLeft - 4, m_width - kRight, py(t), kLeft - 6, py(t) + 4, short_number(t)) +
           "\n";
  out += fmt::format(R"(<text x="{:.1f}" y="{}" class="xl">{}</text>)", kLeft + (m_width - kLeft - kRight) / 2.0,
                     m_height - 6, escape_html(m_x_label)) +
         "\n";
  out += fmt::format(R"svg(<text transform="translate(14 {:.1f}) rotate(-90)" class="yl">{}</text>)svg",
                     kTop + (m_height - kTop - kBottom) / 2.0, escape_html(m_y_label)) +
         "\n";
  return out;
}

std::string SvgPlot::svg(const std::string& label) const {
  std::string notes;
  // Above the plot area's right end: notes never hide a point or an axis title.
  std::string joined;
  for (const auto& n : m_notes) joined += (joined.empty() ? "" : "; ") + n;
  if (!joined.empty())
    notes = fmt::format(R"(<text x="{}" y="{}" class="note">{}</text>)", m_width - kRight, kTop - 3, escape_html(joined)) +
            "\n";
  std::string strip;
  if (!m_strip.empty())
    strip = fmt::format(R"(<rect x="{0}" y="{1}" width="{2}" height="{3}" class="band"/><text x="{4}" y="{5}" class="ty">{6}</text>)",
                        kLeft, m_height, m_width - kLeft - kRight, kStripHeight - 4, kLeft - 6, m_height + 13,
                        escape_html(m_strip_label)) +
            "\n" + m_strip;
  const double height = m_height + (m_strip.empty() ? 0 : kStripHeight);
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img" aria-label="{2}">)",
                     m_width, height, escape_html(label)) +
         "\n" + axes() + m_body + strip + notes + "</svg>\n";
}

}  // namespace hwnas
