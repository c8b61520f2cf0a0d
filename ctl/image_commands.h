// berthctl's image commands (images, image ls/inspect/history/tag/rm, history, tag, rmi)
// and what their files share.
#pragma once

#include <functional>
#include <string>

#include "berth/images/v1/images.grpc.pb.h"
#include "ctl/command.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {

// Adds `images`, `history`, `tag`, `rmi` and the `image` group to `app`.
void AddImageCommands(CLI::App& app, CommandRunner& run);
// `name` (images, ls) under `parent`.
void AddImageListCommand(CLI::App& parent, const std::string& name, CommandRunner& run);
void AddImageInspectCommand(CLI::App& parent, CommandRunner& run);
void AddImageHistoryCommand(CLI::App& parent, CommandRunner& run);
void AddImagePruneCommand(CLI::App& parent, CommandRunner& run);

// Images.Inspect for `name`, as Docker's JSON object in `out`.
grpc::Status InspectImageJson(const GlobalOptions& global, const std::string& name,
                              nlohmann::ordered_json* out);

// "sha256:<hex>" → its first 12 hex digits.
std::string ImageIdShort(const std::string& id);

// Connects and makes one Images call with berthctl's namespace and deadline; an
// unreachable berthd is UNAVAILABLE.
grpc::Status CallImages(
    const GlobalOptions& global,
    const std::function<grpc::Status(images::v1::Images::Stub&, grpc::ClientContext&)>& call);

}  // namespace berth::ctl
