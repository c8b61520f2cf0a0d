// Chooses the snapshotter: overlayfs when the kernel has it, the copying one otherwise.
#pragma once

#include <string>

namespace berth::images {

inline constexpr char kOverlayDriver[] = "overlayfs";
inline constexpr char kNativeDriver[] = "native";

// `configured` is daemon.json's storage-driver ("" = choose); `proc_filesystems` is
// the text of /proc/filesystems.
std::string ChooseStorageDriver(const std::string& configured, const std::string& proc_filesystems);

std::string DetectStorageDriver(const std::string& configured);

}  // namespace berth::images
