// asyncopt plot TRACE.csv [TRACE2.csv ...] -o fig.png: suboptimality (log
// scale) against solver seconds and against epochs, one line per trace,
// labelled from the traces' `run` column (what differs between the runs in
// the legend, what they share in the title).
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/figure.hpp"
#include "cli/options.hpp"
#include "cli/outputs.hpp"

namespace asyncopt::cli {
namespace {

struct Trace {
  std::string path;
  std::string run;  // the `run` column (empty for traces written before it existed)
  std::vector<double> seconds, epoch, subopt, objective;
};

// Splits one CSV line (RFC 4180 quoting). False on an unclosed quote.
bool SplitCsv(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  fields->push_back(cur);
  return !quoted;
}

[[noreturn]] void Bad(const std::string& where, const std::string& why) {
  throw Error(ErrorKind::kInvalidInput, where + ": " + why);
}

// An empty field is NaN (the trace's "not known"); anything else must be a number.
double Number(const std::string& field, const std::string& where, const std::string& column) {
  if (field.empty()) return NAN;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(field.c_str(), &end);
  if (end != field.c_str() + field.size() || errno == ERANGE) {
    Bad(where, "column '" + column + "': '" + Printable(field) + "' is not a number");
  }
  return v;
}

Trace ReadTrace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::kIo, Printable(path) + ": cannot open: " + std::strerror(errno));
  Trace t;
  t.path = path;
  std::string line;
  std::vector<std::string> header, fields;
  int seconds = -1, epoch = -1, subopt = -1, objective = -1, run = -1;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = Printable(path) + ":" + std::to_string(line_no);
    if (line_no == 1) {
      if (line.find('\0') != std::string::npos) Bad(where, "not a text file");
      SplitCsv(line, &header);
      for (int i = 0; i < static_cast<int>(header.size()); ++i) {
        const std::string& h = header[static_cast<std::size_t>(i)];
        if (h == "seconds") seconds = i;
        if (h == "epoch") epoch = i;
        if (h == "suboptimality") subopt = i;
        if (h == "objective") objective = i;
        if (h == "run") run = i;
      }
      if (seconds < 0 || epoch < 0 || (subopt < 0 && objective < 0)) {
        Bad(where, "not a trace of `asyncopt train --trace` (its header needs the columns "
                   "seconds, epoch and suboptimality or objective)");
      }
      continue;
    }
    if (line.empty()) continue;
    if (!SplitCsv(line, &fields)) Bad(where, "a quoted field is not closed");
    if (fields.size() != header.size()) {
      Bad(where, std::to_string(fields.size()) + " fields where the header has " +
                     std::to_string(header.size()));
    }
    t.seconds.push_back(Number(fields[static_cast<std::size_t>(seconds)], where, "seconds"));
    t.epoch.push_back(Number(fields[static_cast<std::size_t>(epoch)], where, "epoch"));
    t.subopt.push_back(subopt < 0 ? NAN : Number(fields[static_cast<std::size_t>(subopt)], where, "suboptimality"));
    t.objective.push_back(objective < 0 ? NAN : Number(fields[static_cast<std::size_t>(objective)], where, "objective"));
    if (run >= 0 && t.run.empty()) t.run = fields[static_cast<std::size_t>(run)];
  }
  if (in.bad()) throw Error(ErrorKind::kIo, Printable(path) + ": read error");
  if (line_no == 0) Bad(Printable(path), "empty file (no header)");
  if (t.seconds.empty()) Bad(Printable(path), "no trace points (only the header)");
  return t;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string BaseName(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

// Labels: the run's words not shared by every trace ("--threads 2" as one
// "word" with its value); the shared ones make the title. A run with no
// word of its own is "(defaults)"; traces without a `run`, or runs that
// differ in nothing, are named by their file.
void Label(const std::vector<Trace>& traces, std::vector<std::string>* labels, std::string* title) {
  std::vector<std::vector<std::string>> parts;
  for (const Trace& t : traces) {
    // Pair each --key with its value.
    std::vector<std::string> words = Words(t.run), joined;
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (words[i].rfind("--", 0) == 0 && i + 1 < words.size() && words[i + 1].rfind("--", 0) != 0) {
        joined.push_back(words[i] + " " + words[i + 1]);
        ++i;
      } else {
        joined.push_back(words[i]);
      }
    }
    parts.push_back(joined);
  }
  std::set<std::string> shared(parts[0].begin(), parts[0].end());
  for (const auto& p : parts) {
    const std::set<std::string> mine(p.begin(), p.end());
    std::set<std::string> keep;
    for (const std::string& w : shared) {
      if (mine.count(w)) keep.insert(w);
    }
    shared = keep;
  }
  title->clear();
  for (const std::string& w : parts[0]) {
    if (traces.size() > 1 && !shared.count(w)) continue;
    *title += (title->empty() ? "" : " ") + w;
  }
  labels->clear();
  std::set<std::string> seen;
  bool unique = true;
  for (std::size_t i = 0; i < traces.size(); ++i) {
    std::string l;
    for (const std::string& w : parts[i]) {
      if (!shared.count(w)) l += (l.empty() ? "" : " ") + w;
    }
    // Nothing of its own: the options the others set are at their defaults here.
    if (l.empty()) l = traces.size() > 1 && !traces[i].run.empty() ? "(defaults)" : BaseName(traces[i].path);
    if (!seen.insert(l).second) unique = false;
    labels->push_back(l);
  }
  if (!unique) {
    for (std::size_t i = 0; i < traces.size(); ++i) (*labels)[i] = BaseName(traces[i].path);
  }
}

}  // namespace

int RunPlot(const std::vector<std::string>& argv) {
  po::options_description desc(
      "asyncopt plot TRACE.csv [TRACE2.csv ...] -o FIG.png: suboptimality (log scale) against "
      "solver seconds and epochs, one line per trace (traces of `asyncopt train --trace`)");
  desc.add_options()
      ("help,h", "print this help and exit")
      ("config", Text(), "INI file of 'key = value' lines with these option names; the command line overrides it")
      ("out,o", Text(), "the PNG to write (required)")
      ("x", Text("both"), "horizontal axis: seconds | epochs | both (two panels)")
      ("title", Text(), "the figure's title (default: what the traces' runs share)")
      ("width", Text("1200"), "width in pixels [200, 8000]")
      ("height", Text("500"), "height in pixels [150, 8000]")
      ("quiet", Switch(false), "no report on stderr");
  if (std::find(argv.begin(), argv.end(), "--help") != argv.end() ||
      std::find(argv.begin(), argv.end(), "-h") != argv.end()) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  // Trace files are the arguments that are neither an option nor an option's value.
  std::vector<std::string> options, paths;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s == "--") {
      paths.insert(paths.end(), argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    if (s.size() > 1 && s[0] == '-') {
      // An option of `desc` by its exact name (no abbreviations): "--title"
      // or "-o"; it takes the next argument when it needs a value.
      const std::string name = s.substr(0, s.find('='));
      const po::option_description* option =
          name.rfind("--", 0) == 0 ? desc.find_nothrow(name.substr(2), false)
                                   : desc.find_nothrow(name, false);
      if (option == nullptr) {
        throw UsageError("unrecognised option '" + Printable(s) +
                         "' (asyncopt plot --help lists the options; a trace file whose name "
                         "starts with '-' goes after '--')");
      }
      options.push_back(s);
      const bool takes_value = option->semantic()->min_tokens() > 0;
      if (takes_value && name == s && i + 1 < argv.size()) options.push_back(argv[++i]);
      continue;
    }
    paths.push_back(s);
  }
  Args a(options, desc);
  a.Require("out");
  if (paths.empty()) throw UsageError("no trace given: asyncopt plot TRACE.csv [TRACE2.csv ...] -o FIG.png");
  const std::string axes = a.Str("x");
  if (axes != "seconds" && axes != "epochs" && axes != "both") a.Invalid("x", "seconds | epochs | both");
  FigureSize size;
  size.width = static_cast<int>(a.Int("width", 200, 8000));
  size.height = static_cast<int>(a.Int("height", 150, 8000));
  const bool quiet = a.Bool("quiet");
  if (!PlottingAvailable()) {
    throw Error(ErrorKind::kUnsupported, "cannot draw: " + PlottingAdvice());
  }
  Outputs outputs;
  outputs.Add(a, "out");
  outputs.AddInput(a, "config");
  for (const std::string& p : paths) outputs.AddInputPath("the trace", p);
  outputs.Check();
  std::vector<Trace> traces;
  for (const std::string& p : paths) {
    SetPhase("reading " + p);
    traces.push_back(ReadTrace(p));
  }
  // Suboptimality when every trace has it (f* was known); else the objective.
  bool have_subopt = true;
  for (const Trace& t : traces) {
    bool any = false;
    for (double v : t.subopt) any = any || std::isfinite(v);
    have_subopt = have_subopt && any;
  }
  if (!have_subopt && !quiet) {
    std::fprintf(stderr,
                 "asyncopt plot: a trace has no suboptimality (its run knew no f*); drawing the "
                 "objective instead (train with --f-star auto for suboptimality)\n");
  }
  std::vector<std::string> labels;
  std::string title;
  Label(traces, &labels, &title);
  if (a.Has("title")) title = a.Str("title");
  auto panel = [&](bool seconds) {
    Panel p;
    p.title = title;
    p.x_label = seconds ? "solver seconds" : "epochs";
    p.y_label = have_subopt ? "(F - f*) / |f*|" : "objective F";
    p.log_y = have_subopt;
    for (std::size_t i = 0; i < traces.size(); ++i) {
      Series s;
      s.label = labels[i];
      s.x = seconds ? traces[i].seconds : traces[i].epoch;
      s.y = have_subopt ? traces[i].subopt : traces[i].objective;
      p.series.push_back(std::move(s));
    }
    return p;
  };
  std::vector<Panel> panels;
  if (axes != "epochs") panels.push_back(panel(true));
  if (axes != "seconds") panels.push_back(panel(false));
  if (panels.size() == 2) panels[1].title.clear();
  SetPhase("drawing", PhaseKind::kWriting);
  outputs.WriteWith("out", [&](const std::string& path) { WritePng(path, panels, size); });
  if (outputs.failed()) {
    outputs.ReportFailures("plot");
    return kExitOutputFailed;
  }
  if (!quiet) {
    std::fprintf(stderr, "asyncopt plot: wrote %s (%d x %d): %zu trace%s\n",
                 Printable(a.Str("out")).c_str(), size.width, size.height, traces.size(),
                 traces.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < traces.size(); ++i) {
      std::fprintf(stderr, "  %s: %s\n", labels[i].c_str(), Printable(traces[i].path).c_str());
    }
  }
  return kExitOk;
}

}  // namespace asyncopt::cli
