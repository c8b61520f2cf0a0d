// A test fixture with its own berthd (all four services, BerthdProcess's defaults) and
// busybox:latest loaded into it; every container is removed before berthd stops.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "tests/harness/berthd_process.h"

namespace berth::testing {

class BerthdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto berthd = BerthdProcess::Start(dir_, {});
    ASSERT_TRUE(berthd.ok()) << berthd.status();
    berthd_ = std::move(*berthd);
    RunResult load = berthd_->LoadBusybox(dir_);
    ASSERT_EQ(load.exit_code, 0) << load.err;
  }

  void TearDown() override {
    if (berthd_ == nullptr) return;
    berthd_->RemoveAllContainers();
    berthd_.reset();
  }

  TestDir dir_;
  std::unique_ptr<BerthdProcess> berthd_;
};

}  // namespace berth::testing
