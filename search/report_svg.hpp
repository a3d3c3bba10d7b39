// This file implements the report's plots as static inline SVG: a plot area with two
// linear axes (ticks at 1, 2 or 5 times a power of ten, labelled), points with an SVG
// <title> tooltip and an optional link, polylines, budget lines and rectangles. The report
// needs nothing more, and a browser shows it without JavaScript or network access; the
// look (colours, sizes) comes from the page's CSS through the class names.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hwnas {

/// The size of the report's plots (a wide one is twice as wide).
inline constexpr int kPlotWidth = 400, kPlotHeight = 280;

/// A closed interval of data values.
struct Span {
  double lo = 0, hi = 1;
  /// The smallest span holding `values` (and `also`, when set); [0, 1] when empty.
  static Span of(const std::vector<double>& values, std::optional<double> also = std::nullopt);
};

/// Tick positions for `span`: about `count` round values (1, 2 or 5 x 10^k apart)
/// covering it; the first and last enclose the span.
std::vector<double> nice_ticks(Span span, int count);

/// A tick label: "0.85", "12", "1.5k", "2M" (short, about 3 significant digits).
std::string short_number(double v);

/// One plot. Data coordinates are mapped into a plot area inside a width x height box.
class SvgPlot {
 public:
  SvgPlot(int width, int height, Span x, Span y, std::string x_label, std::string y_label);

  /// A point; `href` (e.g. "#trial-12") makes it a link, `title` its tooltip.
  void point(double x, double y, const std::string& css_class, const std::string& title,
             const std::string& href = "", double radius = 3.5);
  /// A line through `points` in the order given.
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& css_class,
                const std::string& title = "");
  /// A horizontal (`vertical` false) or vertical line at `value` across the plot, labelled.
  void rule(double value, bool vertical, const std::string& css_class, const std::string& label);
  /// A rectangle from (x0, y0) to (x1, y1) in data coordinates.
  void rect(double x0, double y0, double x1, double y1, const std::string& css_class, const std::string& title);
  /// A note above the plot's top-right corner (e.g. a budget beyond the axis).
  void note(const std::string& text);
  /// A cross in a band below the plot (added to its height when used), at `x` on the x
  /// axis: for items that have no y value. An x beyond the axis is drawn at its end (the
  /// title should give the value). `band_label` names the band at its left.
  void strip_mark(double x, const std::string& css_class, const std::string& title, const std::string& band_label);
  /// The x axis' range (from its first to its last tick).
  Span x_span() const { return m_x; }

  /// The <svg> element; `label` is its accessible name (aria-label).
  std::string svg(const std::string& label) const;

  double px(double x) const;
  double py(double y) const;

 private:
  std::string axes() const;

  int m_width, m_height;
  Span m_x, m_y;
  std::vector<double> m_x_ticks, m_y_ticks;
  std::string m_x_label, m_y_label;
  std::string m_body;
  std::string m_strip;  ///< the band's marks; empty: no band
  std::string m_strip_label;
  int m_strip_marks = 0;
  std::vector<std::string> m_notes;
};

/// `s` with &, <, >, " and ' escaped for HTML and SVG text and attributes.
std::string escape_html(const std::string& s);

}  // namespace hwnas
