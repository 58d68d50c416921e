// asyncopt: umbrella header. A shared-memory asynchronous solver for sparse
// regularised empirical-risk problems. See README.md.
#pragma once

#include "asyncopt/dataset.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/generate.hpp"
#include "asyncopt/model.hpp"
#include "asyncopt/multiclass.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/preprocess.hpp"
#include "asyncopt/problem.hpp"
#include "asyncopt/solver.hpp"
#include "asyncopt/version.hpp"
