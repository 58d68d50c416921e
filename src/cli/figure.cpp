#include "cli/figure.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>

#include "asyncopt/error.hpp"
#include "io/output_file.hpp"

#ifdef ASYNCOPT_HAVE_PLPLOT
#include <plplot.h>
#endif

namespace asyncopt::cli {

#ifdef ASYNCOPT_HAVE_PLPLOT
namespace {

constexpr const char* kDevice = "pngcairo";
constexpr const char* kSymbol = "#(728)";  // a filled circle (Hershey)
// Below a panel: its tick labels and axis title (fraction of the viewport),
// then a legend row per kLegendRow of the page.
constexpr double kAxisRoom = 0.12;
constexpr double kLegendRow = 0.045;

// Colour map 0: 0 background (white), 1 axes and text (black), 2.. series,
// the last the grid.
constexpr int kPalette[][3] = {{255, 255, 255}, {0, 0, 0},     {31, 119, 180}, {255, 127, 14},
                               {44, 160, 44},   {214, 39, 40}, {148, 103, 189}, {140, 86, 75},
                               {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207},
                               {210, 210, 210}};
constexpr int kColours = static_cast<int>(std::size(kPalette));
constexpr int kGrid = kColours - 1;          // the last entry: light grey
constexpr int kSeriesColours = kColours - 3;

// The folder PLplot loads its drivers from: $PLPLOT_DRV_DIR, else the one
// its package was built with (pkg-config's drvdir, ASYNCOPT_PLPLOT_DRV_DIR).
std::string DriverDir() {
  const char* env = std::getenv("PLPLOT_DRV_DIR");
  if (env != nullptr && *env != '\0') return env;
#ifdef ASYNCOPT_PLPLOT_DRV_DIR
  return ASYNCOPT_PLPLOT_DRV_DIR;
#else
  return "";
#endif
}

bool DriverInstalled() {
  // PLplot ends the process (plexit) when its driver folder holds no
  // driver, and plinit() with an unknown device asks on stdin: the cairo
  // driver's description must list the PNG device before PLplot is asked.
  const std::string dir = DriverDir();
  if (!dir.empty()) {
    std::ifstream info(dir + "/cairo.driver_info");
    std::string line;
    bool listed = false;
    while (std::getline(info, line)) listed = listed || line.rfind(std::string(kDevice) + ":", 0) == 0;
    if (!listed) return false;
  }
  std::vector<const char*> menu(256), names(menu.size());
  int count = static_cast<int>(menu.size());
  const char** menu_p = menu.data();
  const char** names_p = names.data();
  plgDevs(&menu_p, &names_p, &count);  // fills the arrays; count in: their size, out: devices
  for (int i = 0; i < count; ++i) {
    if (names[static_cast<std::size_t>(i)] != nullptr &&
        std::string(names[static_cast<std::size_t>(i)]) == kDevice) {
      return true;
    }
  }
  return false;
}

struct Style {
  int colour;
  int line;
};
// Series s: a colour of the palette; past it, the colours again with another dash.
Style StyleOf(std::size_t s) {
  return {2 + static_cast<int>(s % kSeriesColours), 1 + static_cast<int>((s / kSeriesColours) % 8)};
}

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void Add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool Empty() const { return !(lo <= hi); }
};

enum class Scale { kLinear, kLog10, kLog2 };

// Text as PLplot draws it literally: '#' starts its escape sequences.
std::string Literal(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

// A value as drawn: log10 or log2 on a log axis; NaN when it cannot be drawn.
double Axis(double v, Scale scale) {
  if (!std::isfinite(v)) return NAN;
  if (scale == Scale::kLog10) return v > 0.0 ? std::log10(v) : NAN;
  if (scale == Scale::kLog2) return v > 0.0 ? std::log2(v) : NAN;
  return v;
}

// Labels of a log2 axis: 2^v as a number (1, 2, 4, ..., 32).
void Log2Label(PLINT axis, PLFLT value, char* label, PLINT length, PLPointer) {
  if (axis == PL_X_AXIS) {
    std::snprintf(label, static_cast<std::size_t>(length), "%.6g", std::exp2(value));
  } else {
    std::snprintf(label, static_cast<std::size_t>(length), "%.6g", value);
  }
}

void Widen(Range* r, Scale scale) {
  const bool log = scale != Scale::kLinear;
  if (r->Empty()) {
    r->lo = 0.0;
    r->hi = 1.0;
    return;
  }
  double span = r->hi - r->lo;
  if (span <= 0.0) span = log ? 1.0 : std::max(std::abs(r->hi), 1.0);
  if (log) {
    // Whole decades, so the labels are powers of ten.
    r->lo = std::floor(r->lo);
    r->hi = std::ceil(r->hi);
    if (r->hi <= r->lo) r->hi = r->lo + 1.0;
    return;
  }
  r->lo -= 0.03 * span;
  r->hi += 0.03 * span;
}

void DrawPanel(const Panel& p, double x0, double x1, double bottom) {
  plvpor(x0, x1, bottom, 0.88);
  const Scale sx = p.log2_x ? Scale::kLog2 : p.log_x ? Scale::kLog10 : Scale::kLinear;
  const Scale sy = p.log_y ? Scale::kLog10 : Scale::kLinear;
  Range rx, ry;
  std::vector<std::vector<double>> xs(p.series.size()), ys(p.series.size());
  for (std::size_t s = 0; s < p.series.size(); ++s) {
    const Series& se = p.series[s];
    const std::size_t n = std::min(se.x.size(), se.y.size());
    for (std::size_t i = 0; i < n; ++i) {
      const double x = Axis(se.x[i], sx), y = Axis(se.y[i], sy);
      if (std::isnan(x) || std::isnan(y)) continue;
      xs[s].push_back(x);
      ys[s].push_back(y);
      rx.Add(x);
      ry.Add(y);
    }
  }
  const bool empty = rx.Empty();
  Widen(&rx, sx);
  Widen(&ry, sy);
  if (sx == Scale::kLog2) {  // a little room around the first and last thread counts
    rx.lo -= 0.15;
    rx.hi += 0.15;
  }
  plwind(rx.lo, rx.hi, ry.lo, ry.hi);
  plschr(0.0, 0.8);
  // The grid in light grey under the series, then the frame and labels in black.
  plcol0(kGrid);
  pllsty(2);
  const double x_tick = sx == Scale::kLog2 ? 1.0 : 0.0;
  plbox(sx == Scale::kLog10 ? "gl" : "g", x_tick, 0, p.log_y ? "gl" : "g", 0.0, 0);
  pllsty(1);
  plcol0(1);
  const std::string xopt = std::string("bcnst") + (sx == Scale::kLog10 ? "l" : "") +
                           (sx == Scale::kLog2 ? "o" : "");
  const std::string yopt = std::string("bcnstv") + (p.log_y ? "l" : "");
  if (sx == Scale::kLog2) plslabelfunc(Log2Label, nullptr);
  plbox(xopt.c_str(), x_tick, sx == Scale::kLog2 ? 1 : 0, yopt.c_str(), 0.0, 0);
  if (sx == Scale::kLog2) plslabelfunc(nullptr, nullptr);
  pllab(Literal(p.x_label).c_str(), Literal(p.y_label).c_str(), Literal(p.title).c_str());
  if (empty) {
    plptex(0.5 * (rx.lo + rx.hi), 0.5 * (ry.lo + ry.hi), 1.0, 0.0, 0.5, "no data");
    return;
  }
  for (std::size_t s = 0; s < p.series.size(); ++s) {
    const Style st = StyleOf(p.series[s].style >= 0 ? static_cast<std::size_t>(p.series[s].style) : s);
    plcol0(st.colour);
    pllsty(st.line);
    plwidth(2.0);
    if (!xs[s].empty()) {
      plline(static_cast<PLINT>(xs[s].size()), xs[s].data(), ys[s].data());
      if (p.series[s].markers || xs[s].size() == 1) {
        plstring(static_cast<PLINT>(xs[s].size()), xs[s].data(), ys[s].data(), kSymbol);
      }
    }
    pllsty(1);
    plwidth(1.0);
  }
  plcol0(1);
}

// The legend of `p` in the page's band [y0, y1] under the panel [x0, x1]:
// a line (and marker) and the label per series, in rows of `columns`.
void DrawLegend(const Panel& p, double x0, double x1, double y0, double y1, int columns) {
  if (p.series.empty() || y1 <= y0) return;
  plvpor(x0, x1, y0, y1);
  plwind(0.0, 1.0, 0.0, 1.0);
  plschr(0.0, 0.7);
  const int rows = static_cast<int>((p.series.size() + columns - 1) / columns);
  const double row_height = 1.0 / std::max(rows, 1);
  for (std::size_t s = 0; s < p.series.size(); ++s) {
    const Style st = StyleOf(p.series[s].style >= 0 ? static_cast<std::size_t>(p.series[s].style) : s);
    const double cx = static_cast<double>(s % columns) / columns;
    const double cy = 1.0 - (static_cast<double>(s / columns) + 0.5) * row_height;
    PLFLT lx[2] = {cx, cx + 0.07}, ly[2] = {cy, cy};
    plcol0(st.colour);
    pllsty(st.line);
    plwidth(2.0);
    plline(2, lx, ly);
    pllsty(1);
    plwidth(1.0);
    if (p.series[s].markers || p.series[s].x.size() == 1) {
      PLFLT mx = cx + 0.035, my = cy;
      plstring(1, &mx, &my, kSymbol);
    }
    plcol0(1);
    plptex(cx + 0.09, cy, 1.0, 0.0, 0.0, Literal(p.series[s].label).c_str());
  }
  plschr(0.0, 0.8);
}

}  // namespace

bool PlottingAvailable() { return DriverInstalled(); }

std::string PlottingAdvice() {
  return "this build has PLplot but its cairo driver (" + DriverDir() +
         "/cairo.driver_info, device pngcairo) is not installed: apt-get install "
         "plplot-driver-cairo (or set PLPLOT_DRV_DIR to the folder that holds it)";
}

void WritePng(const std::string& path, const std::vector<Panel>& panels, FigureSize size) {
  if (!DriverInstalled()) throw Error(ErrorKind::kUnsupported, path + ": " + PlottingAdvice());
  if (panels.empty()) throw Error(ErrorKind::kInvalidOption, path + ": no panel to draw");
  // PLplot writes a file name it is given; it is drawn in a private
  // temporary file and then written like every other output (atomic
  // replace, FIFOs and /dev/stdout in place).
  std::error_code ec;
  const std::filesystem::path tmp_dir = std::filesystem::temp_directory_path(ec);
  if (ec) {
    throw Error(ErrorKind::kIo, path + ": no folder for the figure's temporary file (TMPDIR): " +
                                    ec.message());
  }
  std::string tmp = (tmp_dir / "asyncopt-plot-XXXXXX.png").string();
  const int fd = ::mkstemps(tmp.data(), 4);
  if (fd < 0) {
    throw Error(ErrorKind::kIo, path + ": cannot create a temporary file for the figure in " +
                                    tmp_dir.string() + ": " + std::strerror(errno));
  }
  ::close(fd);
  struct Remove {
    std::string p;
    ~Remove() { std::remove(p.c_str()); }
  } remove_tmp{tmp};

  plsdev(kDevice);
  plsfnam(tmp.c_str());
  plspage(0.0, 0.0, size.width, size.height, 0, 0);
  for (int i = 0; i < kColours; ++i) {
    plscol0(i, kPalette[i][0], kPalette[i][1], kPalette[i][2]);
  }
  plinit();
  pladv(0);
  const double margin_left = 0.07, gap = 0.07, margin_right = 0.02;
  const double width =
      (1.0 - margin_left - margin_right - gap * static_cast<double>(panels.size() - 1)) /
      static_cast<double>(panels.size());
  // Legends under the panels, in two columns when the labels are short.
  std::size_t most = 0, longest = 0;
  for (const Panel& p : panels) {
    most = std::max(most, p.series.size());
    for (const Series& se : p.series) longest = std::max(longest, se.label.size());
  }
  const double chars_per_column = width * size.width / 2.0 / 8.5;  // ~8.5 px per character
  const int columns = most > 1 && static_cast<double>(longest) + 6.0 < chars_per_column ? 2 : 1;
  const double rows = std::ceil(static_cast<double>(most) / columns);
  const double row = kLegendRow * 500.0 / size.height;
  // The legend takes at most what leaves the panels 40% of the height.
  const double axis_room = kAxisRoom * 500.0 / size.height;
  const double legend = std::max(0.0, std::min(row * rows, 1.0 - 0.03 - axis_room - 0.12 - 0.4));
  const double bottom = 0.03 + legend + axis_room;
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const double x0 = margin_left + static_cast<double>(i) * (width + gap);
    DrawPanel(panels[i], x0, x0 + width, bottom);
    DrawLegend(panels[i], x0, x0 + width, 0.03, 0.03 + legend, columns);
  }
  plend();

  std::ifstream in(tmp, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string png = bytes.str();
  if (png.size() < 8 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    throw Error(ErrorKind::kIo, path + ": PLplot did not produce a PNG");
  }
  io::WriteOutputFile(path, png);
}

#else  // no PLplot in this build

bool PlottingAvailable() { return false; }

std::string PlottingAdvice() {
  return "this build has no plotting library: install PLplot (apt-get install libplplot-dev "
         "plplot-driver-cairo, or scripts/install-deps.sh run) and reconfigure with CMake";
}

void WritePng(const std::string& path, const std::vector<Panel>&, FigureSize) {
  throw Error(ErrorKind::kUnsupported, path + ": " + PlottingAdvice());
}

#endif

}  // namespace asyncopt::cli
