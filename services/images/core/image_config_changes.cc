#include "services/images/core/image_config_changes.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

// Words as a shell splits them: whitespace separates, quotes group, backslash escapes.
absl::StatusOr<std::vector<std::string>> SplitWords(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == '\'') {
      if (c == '\'')
        quote = 0;
      else
        word += c;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (quote == '"') {
      if (c == '"')
        quote = 0;
      else
        word += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) return absl::InvalidArgumentError(absl::StrCat("unmatched quote in: ", text));
  if (in_word) words.push_back(std::move(word));
  return words;
}

// The JSON form ["a", "b"], or nullopt when `text` is not one (then it is the shell form).
std::optional<std::vector<std::string>> JsonForm(absl::string_view text) {
  if (!absl::StartsWith(text, "[")) return std::nullopt;
  try {
    nlohmann::json json = nlohmann::json::parse(text);
    if (!json.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const nlohmann::json& item : json) {
      if (!item.is_string()) return std::nullopt;
      out.push_back(item.get<std::string>());
    }
    return out;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

// "K=V …" pairs, or the old "K V…" form of ENV and LABEL.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Pairs(absl::string_view op,
                                                                       absl::string_view args) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t first_space = args.find_first_of(" \t");
  absl::string_view first = args.substr(0, first_space);
  if (!absl::StrContains(first, '=')) {
    if (first_space == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(op, " ", args, ": a value is missing"));
    }
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> key, SplitWords(first));
    pairs.emplace_back(key.empty() ? "" : key[0],
                       std::string(absl::StripAsciiWhitespace(args.substr(first_space))));
    return pairs;
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> words, SplitWords(args));
  for (const std::string& word : words) {
    size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(absl::StrCat(op, ": \"", word, "\" is not KEY=value"));
    }
    pairs.emplace_back(word.substr(0, eq), word.substr(eq + 1));
  }
  return pairs;
}

void AddUnique(std::vector<std::string>& list, std::string value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

}  // namespace

absl::Status ApplyChange(absl::string_view change, ContainerConfig* config) {
  change = absl::StripAsciiWhitespace(change);
  size_t space = change.find_first_of(" \t");
  const std::string op = absl::AsciiStrToUpper(change.substr(0, space));
  absl::string_view args =
      space == absl::string_view::npos ? "" : absl::StripAsciiWhitespace(change.substr(space));
  if (op.empty()) return absl::InvalidArgumentError("empty change");
  if (args.empty()) return absl::InvalidArgumentError(absl::StrCat(op, " requires an argument"));

  if (op == "CMD" || op == "ENTRYPOINT") {
    std::vector<std::string> argv =
        JsonForm(args).value_or(std::vector<std::string>{"/bin/sh", "-c", std::string(args)});
    (op == "CMD" ? config->cmd : config->entrypoint) = std::move(argv);
  } else if (op == "ENV") {
    BERTH_ASSIGN_OR_RETURN(auto pairs, Pairs(op, args));
    for (auto& [key, value] : pairs) {
      auto same = std::find_if(config->env.begin(), config->env.end(), [&](const std::string& e) {
        return absl::StartsWith(e, key + "=");
      });
      std::string entry = absl::StrCat(key, "=", value);
      if (same != config->env.end())
        *same = std::move(entry);
      else
        config->env.push_back(std::move(entry));
    }
  } else if (op == "LABEL") {
    BERTH_ASSIGN_OR_RETURN(auto pairs, Pairs(op, args));
    for (auto& [key, value] : pairs) config->labels[key] = value;
  } else if (op == "EXPOSE") {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ports, SplitWords(args));
    for (std::string& port : ports) {
      if (!absl::StrContains(port, '/')) port += "/tcp";
      absl::string_view number = absl::string_view(port).substr(0, port.find('/'));
      if (number.empty() || !std::all_of(number.begin(), number.end(), [](char c) {
            return absl::ascii_isdigit(c) || c == '-';
          })) {
        return absl::InvalidArgumentError(absl::StrCat("EXPOSE: invalid port \"", port, "\""));
      }
      AddUnique(config->exposed_ports, port);
    }
  } else if (op == "VOLUME") {
    std::optional<std::vector<std::string>> json = JsonForm(args);
    std::vector<std::string> paths;
    if (json.has_value()) {
      paths = std::move(*json);
    } else {
      BERTH_ASSIGN_OR_RETURN(paths, SplitWords(args));
    }
    for (std::string& path : paths) AddUnique(config->volumes, std::move(path));
  } else if (op == "USER") {
    config->user = std::string(args);
  } else if (op == "STOPSIGNAL") {
    config->stop_signal = std::string(args);
  } else if (op == "WORKDIR") {
    std::string dir(args);
    if (dir.front() != '/') {
      std::string base = config->working_dir.empty() ? "/" : config->working_dir;
      dir = absl::StrCat(base, absl::EndsWith(base, "/") ? "" : "/", dir);
    }
    config->working_dir = std::move(dir);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(op, " is not a valid change command"));
  }
  return absl::OkStatus();
}

absl::Status ApplyChanges(const std::vector<std::string>& changes, ContainerConfig* config) {
  for (const std::string& change : changes) BERTH_RETURN_IF_ERROR(ApplyChange(change, config));
  return absl::OkStatus();
}

}  // namespace berth::images
