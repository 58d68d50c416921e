// PNG figures for `asyncopt plot` and `asyncopt contention`, drawn with
// PLplot (Debian: libplplot-dev, plplot-driver-cairo) when CMake found it
// (ASYNCOPT_HAVE_PLPLOT); without it the commands write their CSV/JSON and
// print PlottingAdvice(). PLplot's types stay in figure.cpp.
#pragma once

#include <string>
#include <vector>

namespace asyncopt::cli {

struct Series {
  std::string label;
  std::vector<double> x, y;  // points whose x or y is not finite (or <= 0 on a log axis) are skipped
  bool markers = false;      // a symbol at each point besides the line
  int style = -1;            // colour and dash: the series' position, or this index when >= 0
};

struct Panel {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  bool log2_x = false;  // x on a log2 scale labelled 1, 2, 4, ... (thread counts)
  std::vector<Series> series;
};

struct FigureSize {
  int width = 1200, height = 500;  // pixels
};

// True when this build can draw PNGs (PLplot found at configure time) and
// the cairo driver is installed now.
bool PlottingAvailable();
// Why PlottingAvailable() is false and how to get plots, one sentence.
std::string PlottingAdvice();

// Draws `panels` side by side (one row) into a PNG of `size` and writes it
// to `path` through io::WriteOutputFile (replaced atomically). A panel with
// no drawable point shows "no data". Throws asyncopt::Error when plotting is
// unavailable or the file cannot be written.
void WritePng(const std::string& path, const std::vector<Panel>& panels, FigureSize size);

}  // namespace asyncopt::cli
