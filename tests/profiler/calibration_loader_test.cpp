#include "profiler/calibration_loader.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "test_gpus.hpp"

namespace moesim::profiler {
namespace {

Result<models::GpuSpec> fake_catalog(std::string_view name) {
  if (name == "h200") return testing::h200();
  if (name == "a100") return testing::a100();
  return bad_input("no hardware entry named \"" + std::string(name) + "\"");
}

std::string write_table(const std::string& name, const std::string& gpu, const std::string& family) {
  traces::CalibrationTable t;
  t.provenance.gpu = gpu;
  t.provenance.gpu_family = family;
  t.provenance.tool = "test";
  t.provenance.date = "2026-11-22";
  traces::CalibrationEntry e;
  e.shape = {{"m", 128}, {"n", 128}, {"k", 128}};
  e.median_us = 10;
  t.entries = {e};
  const std::string path = ::testing::TempDir() + std::to_string(getpid()) + "_" + name;
  std::ofstream(path) << traces::calibration_to_json(t);
  return path;
}

TEST(CalibrationLoader, LoadsFilesAndResolvesGpus) {
  auto model = load_calibrated_cost_model({write_table("ok.json", "h200", "hopper")}, fake_catalog);
  ASSERT_TRUE(model.ok()) << model.errors()[0].message;
  ASSERT_EQ(model.value().families().size(), 1u);
  EXPECT_EQ(model.value().families()[0].gpu, "h200");
}

TEST(CalibrationLoader, RejectsUnknownGpuAndWrongFamily) {
  const std::string unknown = write_table("unknown.json", "h900", "hopper");
  auto a = load_calibration_sources({unknown}, fake_catalog);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.errors()[0].message, unknown + ": provenance.gpu: \"h900\" is not a catalog GPU (no hardware entry named \"h900\")");
  const std::string wrong = write_table("wrong.json", "a100", "hopper");
  auto b = load_calibration_sources({wrong}, fake_catalog);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.errors()[0].message,
            wrong + ": provenance.gpu_family: found \"hopper\", expected \"ampere\" (the catalog family of a100)");
  auto missing = load_calibration_sources({"/nonexistent/cal.json"}, fake_catalog);
  ASSERT_FALSE(missing.ok());
}

}  // namespace
}  // namespace moesim::profiler
