#include "services/images/core/storage_driver.h"

#include <gtest/gtest.h>

namespace berth::images {
namespace {

TEST(StorageDriverTest, PrefersOverlayWhenTheKernelHasIt) {
  EXPECT_EQ(ChooseStorageDriver("", "nodev\tsysfs\n\text4\nnodev\toverlay\n"), kOverlayDriver);
  EXPECT_EQ(ChooseStorageDriver("", "nodev\tsysfs\n\text4\n"), kNativeDriver);
  EXPECT_EQ(ChooseStorageDriver("", "nodev\toverlayish\n"), kNativeDriver);
}

TEST(StorageDriverTest, ConfiguredDriverWins) {
  EXPECT_EQ(ChooseStorageDriver(kNativeDriver, "nodev\toverlay\n"), kNativeDriver);
}

}  // namespace
}  // namespace berth::images
