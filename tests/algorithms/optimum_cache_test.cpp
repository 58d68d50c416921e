// Tests of the on-disk optimum cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/libsvm_text.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"

namespace asyncopt {
namespace {

namespace fs = std::filesystem;

OptimumCacheEntry SampleEntry() {
  OptimumCacheEntry e;
  e.f_star = 0.1 + 0.2;  // not exactly representable in few digits
  e.method = "prox-newton-cd";
  e.certificate = 3.1415926535897931e-13;
  e.w_star.assign(1000, 0.0);
  e.w_star[0] = -1.0 / 3.0;
  e.w_star[17] = 1e-300;
  e.w_star[999] = 123456.789;
  e.w_star[500] = -std::numeric_limits<double>::denorm_min();
  return e;
}

std::vector<fs::path> CacheFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  return files;
}

TEST(OptimumCache, StoreThenLookupRoundTripsExactly) {
  const testing::TempDir tmp("cache");
  const OptimumCache cache((tmp.path() / "nested" / "dir").string());
  const std::string key = OptimumCache::Key(0x0123456789abcdefULL, "maxabs+bias=1",
                                            Problem{Loss::kLogistic, 1e-4, 1e-3});
  const OptimumCacheEntry e = SampleEntry();
  OptimumCacheEntry got;
  EXPECT_FALSE(cache.Lookup(key, &got));
  cache.Store(key, e);
  ASSERT_TRUE(cache.Lookup(key, &got));
  EXPECT_EQ(std::memcmp(&got.f_star, &e.f_star, sizeof(double)), 0);
  EXPECT_EQ(got.certificate, e.certificate);
  EXPECT_EQ(got.method, e.method);
  ASSERT_EQ(got.w_star.size(), e.w_star.size());
  for (std::size_t j = 0; j < e.w_star.size(); ++j) EXPECT_EQ(got.w_star[j], e.w_star[j]) << j;
  // Only nonzeros are written: the file stays small for a large dimension.
  const auto files = CacheFiles(tmp.path() / "nested" / "dir");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_LT(fs::file_size(files[0]), 600u);
  // Overwriting replaces the entry.
  OptimumCacheEntry e2 = e;
  e2.f_star = 0.5;
  cache.Store(key, e2);
  ASSERT_TRUE(cache.Lookup(key, &got));
  EXPECT_EQ(got.f_star, 0.5);
  EXPECT_EQ(CacheFiles(tmp.path() / "nested" / "dir").size(), 1u) << "no temp files left";
}

TEST(OptimumCache, KeysDifferForEveryIngredient) {
  const Problem p{Loss::kLogistic, 1e-4, 1e-3};
  const std::string base = OptimumCache::Key(1, "raw", p);
  EXPECT_EQ(base, OptimumCache::Key(1, "raw", p));
  EXPECT_NE(base, OptimumCache::Key(2, "raw", p));
  EXPECT_NE(base, OptimumCache::Key(1, "maxabs", p));
  EXPECT_NE(base, OptimumCache::Key(1, "raw", Problem{Loss::kSquaredHinge, 1e-4, 1e-3}));
  EXPECT_NE(base, OptimumCache::Key(1, "raw", Problem{Loss::kLogistic, 1e-4, 1e-3 * (1 + 1e-15)}));
  EXPECT_NE(base, OptimumCache::Key(1, "raw", Problem{Loss::kLogistic, std::nextafter(1e-4, 1.0), 1e-3}));
}

TEST(OptimumCache, MissOnDifferentLambdas) {
  const testing::TempDir tmp("cache");
  const OptimumCache cache(tmp.path().string());
  cache.Store(OptimumCache::Key(7, "raw", Problem{Loss::kLogistic, 0.0, 1e-3}), SampleEntry());
  OptimumCacheEntry got;
  EXPECT_TRUE(cache.Lookup(OptimumCache::Key(7, "raw", Problem{Loss::kLogistic, 0.0, 1e-3}), &got));
  EXPECT_FALSE(cache.Lookup(OptimumCache::Key(7, "raw", Problem{Loss::kLogistic, 0.0, 2e-3}), &got));
  EXPECT_FALSE(cache.Lookup(OptimumCache::Key(7, "raw", Problem{Loss::kLogistic, 1e-9, 1e-3}), &got));
  EXPECT_FALSE(cache.Lookup(OptimumCache::Key(8, "raw", Problem{Loss::kLogistic, 0.0, 1e-3}), &got));
}

TEST(OptimumCache, KeysWithOddCharactersStayInTheDirectory) {
  const testing::TempDir tmp("cache");
  const OptimumCache cache(tmp.path().string());
  const std::string k1 = OptimumCache::Key(1, "../../etc/passwd x", Problem{});
  const std::string k2 = OptimumCache::Key(1, "..__..__etc__passwd_x", Problem{});
  cache.Store(k1, SampleEntry());
  OptimumCacheEntry got;
  EXPECT_TRUE(cache.Lookup(k1, &got));
  EXPECT_FALSE(cache.Lookup(k2, &got)) << "sanitised names must not collide";
  EXPECT_EQ(CacheFiles(tmp.path()).size(), 1u);
}

TEST(OptimumCache, CorruptFilesAreMisses) {
  const testing::TempDir tmp("cache");
  const OptimumCache cache(tmp.path().string());
  const std::string key = OptimumCache::Key(3, "raw", Problem{Loss::kSquared, 1e-3, 0.0});
  cache.Store(key, SampleEntry());
  const fs::path file = CacheFiles(tmp.path()).at(0);
  std::string good;
  {
    std::ifstream in(file, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto rewrite = [&](const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
  };
  const std::vector<std::string> corruptions = {
      "",
      good.substr(0, good.size() / 2),             // truncated
      good.substr(0, good.size() - 4),             // missing "end"
      std::string(4096, '\xff'),                   // garbage
      [&] { auto s = good; s[s.find("f_star ") + 7] = 'x'; return s; }(),
      [&] { auto s = good; s.replace(s.find("nnz "), 5, "nnz 9"); return s; }(),
      [&] { auto s = good; s.replace(s.find("dim "), 8, "dim -12"); return s; }(),
      [&] { auto s = good; s.replace(0, 8, "nonsense"); return s; }(),
  };
  for (std::size_t k = 0; k < corruptions.size(); ++k) {
    rewrite(corruptions[k]);
    OptimumCacheEntry got;
    EXPECT_FALSE(cache.Lookup(key, &got)) << "corruption " << k;
  }
  rewrite(good);
  EXPECT_TRUE(cache.Lookup(key, nullptr));
}

TEST(OptimumCache, DirectoryFromEnvironment) {
  const char* old = std::getenv("ASYNCOPT_CACHE_DIR");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("ASYNCOPT_CACHE_DIR", "/tmp/asyncopt-env-cache-test", 1);
  EXPECT_EQ(OptimumCache().dir(), "/tmp/asyncopt-env-cache-test");
  EXPECT_EQ(OptimumCache("/explicit").dir(), "/explicit");
  if (old != nullptr) {
    ::setenv("ASYNCOPT_CACHE_DIR", saved.c_str(), 1);
  } else {
    ::unsetenv("ASYNCOPT_CACHE_DIR");
  }
}

TEST(OptimumCache, ConcurrentStoresLeaveAValidFile) {
  const testing::TempDir tmp("cache");
  const OptimumCache cache(tmp.path().string());
  const std::string key = OptimumCache::Key(5, "raw", Problem{});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      OptimumCacheEntry e = SampleEntry();
      e.f_star = t;
      for (int k = 0; k < 20; ++k) cache.Store(key, e);
    });
  }
  for (auto& th : threads) th.join();
  OptimumCacheEntry got;
  ASSERT_TRUE(cache.Lookup(key, &got));
  EXPECT_GE(got.f_star, 0.0);
  EXPECT_LE(got.f_star, 3.0);
  EXPECT_EQ(CacheFiles(tmp.path()).size(), 1u);
}

TEST(OptimumCache, UnwritableDirectoryThrowsIoError) {
  const testing::TempDir tmp("cache");
  const fs::path blocker = tmp.path() / "file";
  std::ofstream(blocker) << "x";
  const OptimumCache cache((blocker / "sub").string());
  try {
    cache.Store("k", SampleEntry());
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
  }
  EXPECT_FALSE(cache.Lookup("k", nullptr));
}

}  // namespace
}  // namespace asyncopt
