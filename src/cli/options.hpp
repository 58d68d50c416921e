// The command-line options of the subcommands: their declaration (with the
// library's defaults), their conversion into library options with range
// checks that name the flag, and which options a solver actually uses. The
// solver options (flags, defaults, help, ranges, users) come from the option
// table (src/core/option_table.hpp); the others are declared here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "asyncopt/asyncopt.hpp"
#include "cli/args.hpp"

namespace asyncopt::cli {

// Declaring an option: every value is text, converted by Args (so every
// bad value gets the same message). Def: a default as --help shows it, the
// shortest text that reads back as the same number ("0.1"). Switch: "--quiet"
// alone means true, "--quiet=false" is allowed.
std::string Def(double v);
std::string Def(bool v);
po::typed_value<std::string>* Text(const std::string& default_text);
po::typed_value<std::string>* Text();
po::typed_value<std::string>* Switch(bool default_value);

// Option groups. `train` adds the solver groups.
void AddGeneral(po::options_description& all, bool threads, bool train = false);
void AddData(po::options_description& all, bool with_test, bool with_compact = true);
void AddProblem(po::options_description& all);
void AddCache(po::options_description& all);
// The option table's groups, plus --f-star and --initial-model.
void AddSolver(po::options_description& all);
void AddOutput(po::options_description& all, bool train);
// Everything `train` takes (its --help).
void DescribeTrain(po::options_description& desc);

// --threads (the option table's range); 0 = DefaultThreads().
int ThreadsOf(const Args& a);
// --positive-labels 3,5 (finite numbers).
std::vector<double> ParseLabelList(const Args& a, const std::string& key);
Preprocessing ReadPreprocessing(const Args& a);
Problem ReadProblem(const Args& a);
// Every option of the option table, read and range-checked through it;
// Options::threads = `threads`. A bad value: UsageError "invalid value for
// 'KEY': 'RAW' (allowed: ...) [ORIGIN]" ("--fault: WHY [ORIGIN]" for a list).
Options ReadSolverOptions(const Args& a, int threads);

// Why option `key` has no effect on this run ("solver svrg does not use it
// (used by: hogwild)", "--sparsifier none does not use it ..."), or nothing
// when it does. Only solver options (the option table's) are judged.
std::optional<std::string> WhyUnused(const std::string& key, const Options& options);

// The rule for options that have no effect: given on the command line, an
// error (exit 2) naming the option and why; set in a config file (which may
// describe several runs), a warning on stderr. (The summary records only
// the options in effect: core::OptionsInEffect.)
void RefuseUnusedOptions(const Args& a, const Options& options);

}  // namespace asyncopt::cli
