#include "services/images/core/gc.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

// A snapshot by (snapshotter, namespace, key).
using SnapshotId = std::tuple<std::string, std::string, std::string>;

struct Node {
  bool snapshot = false;
  std::string snapshotter;  // snapshots only
  std::string ns;
  std::string key;  // a digest string or a snapshot key
};

// Everything a collection reads, taken before anything is removed.
struct State {
  std::vector<std::string> namespaces;
  std::map<std::string, std::map<std::string, Labels>> content;  // ns → digest → labels
  std::map<std::string, std::vector<SnapshotEntry>> snapshots;   // snapshotter → entries
  std::map<SnapshotId, const SnapshotEntry*> snapshot_index;
  std::vector<std::pair<std::string, std::string>> expired_leases;  // (ns, id)
  std::vector<ContentInfo> blobs;
  std::vector<Node> roots;
};

struct Marks {
  std::set<std::pair<std::string, std::string>> content;  // (ns, digest)
  std::set<SnapshotId> snapshots;
};

Node ContentNode(std::string ns, std::string digest) {
  return Node{false, "", std::move(ns), std::move(digest)};
}
Node SnapshotNode(std::string snapshotter, std::string ns, std::string key) {
  return Node{true, std::move(snapshotter), std::move(ns), std::move(key)};
}

// The nodes that labels in namespace `ns` point at.
void FollowLabels(const std::string& ns, const Labels& labels, std::vector<Node>& todo) {
  for (const auto& [key, value] : labels) {
    absl::string_view k = key;
    if (absl::ConsumePrefix(&k, kGcRefContentLabel) && (k.empty() || k.front() == '.')) {
      if (Digest::Parse(value).ok()) todo.push_back(ContentNode(ns, value));
    } else if (absl::ConsumePrefix(&k, kGcRefSnapshotLabelPrefix)) {
      k = k.substr(0, k.find('/'));
      if (!k.empty() && !value.empty()) todo.push_back(SnapshotNode(std::string(k), ns, value));
    }
  }
}

// The snapshot `key` of `ns`, or of no namespace when its snapshotter has none.
const SnapshotEntry* FindSnapshot(const State& state, const std::string& snapshotter,
                                  const std::string& ns, const std::string& key) {
  auto it = state.snapshot_index.find({snapshotter, ns, key});
  if (it == state.snapshot_index.end()) it = state.snapshot_index.find({snapshotter, "", key});
  return it == state.snapshot_index.end() ? nullptr : it->second;
}

Marks Mark(const State& state) {
  Marks marks;
  std::vector<Node> todo = state.roots;
  while (!todo.empty()) {
    Node node = std::move(todo.back());
    todo.pop_back();
    if (!node.snapshot) {
      if (!marks.content.insert({node.ns, node.key}).second) continue;
      auto space = state.content.find(node.ns);
      if (space == state.content.end()) continue;
      auto row = space->second.find(node.key);
      if (row != space->second.end()) FollowLabels(node.ns, row->second, todo);
      continue;
    }
    const SnapshotEntry* entry = FindSnapshot(state, node.snapshotter, node.ns, node.key);
    if (entry == nullptr) continue;  // gone already, or never made: nothing to keep
    if (!marks.snapshots.insert({node.snapshotter, entry->ns, entry->key}).second) continue;
    // A snapshot without a namespace is reached from `node.ns`: follow on there.
    const std::string& ns = entry->ns.empty() ? node.ns : entry->ns;
    if (!entry->parent.empty()) todo.push_back(SnapshotNode(node.snapshotter, ns, entry->parent));
    FollowLabels(ns, entry->labels, todo);
  }
  return marks;
}

}  // namespace

absl::StatusOr<GcResult> GarbageCollector::Collect(absl::Time now) {
  auto exclusive = lock_->Exclusive();

  // ---- read everything; a failure here removes nothing ----
  State state;
  BERTH_ASSIGN_OR_RETURN(state.namespaces, metadata_->ListNamespaces());
  for (const std::string& ns : state.namespaces) {
    BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> images, metadata_->ListImages(ns));
    for (const ImageRecord& image : images) {
      state.roots.push_back(ContentNode(ns, image.target.digest.str()));
    }
    BERTH_ASSIGN_OR_RETURN(std::vector<LeaseRecord> leases, metadata_->ListLeases(ns));
    for (const LeaseRecord& lease : leases) {
      if (lease.expire_at.has_value() && *lease.expire_at <= now) {
        state.expired_leases.emplace_back(ns, lease.id);
        continue;
      }
      BERTH_ASSIGN_OR_RETURN(std::vector<LeaseResource> resources,
                             metadata_->ListLeaseResources(ns, lease.id));
      for (LeaseResource& resource : resources) {
        absl::string_view kind = resource.kind;
        if (kind == kLeaseContent) {
          state.roots.push_back(ContentNode(ns, std::move(resource.key)));
        } else if (absl::ConsumePrefix(&kind, kLeaseSnapshotsPrefix)) {
          state.roots.push_back(SnapshotNode(std::string(kind), ns, std::move(resource.key)));
        }  // ingests: never collected anyway
      }
    }
    BERTH_ASSIGN_OR_RETURN(std::vector<ContentRecord> rows, metadata_->ListContent(ns));
    auto& labels_of = state.content[ns];
    for (ContentRecord& row : rows) {
      if (row.labels.contains(kGcRootLabel))
        state.roots.push_back(ContentNode(ns, row.digest.str()));
      labels_of[row.digest.str()] = std::move(row.labels);
    }
  }
  for (const auto& [name, catalog] : snapshotters_) {
    BERTH_ASSIGN_OR_RETURN(state.snapshots[name], catalog->ListSnapshots());
    for (const SnapshotEntry& entry : state.snapshots[name]) {
      state.snapshot_index[{name, entry.ns, entry.key}] = &entry;
      if (entry.labels.contains(kGcRootLabel)) {
        state.roots.push_back(SnapshotNode(name, entry.ns, entry.key));
      }
    }
  }
  BERTH_ASSIGN_OR_RETURN(state.blobs, content_->List());

  const Marks marks = Mark(state);

  // ---- sweep ----
  GcResult result;
  auto note = [&result](const absl::Status& status) {
    if (!status.ok() && !absl::IsNotFound(status)) result.errors.emplace_back(status.ToString());
    return status.ok();
  };
  for (const auto& [ns, id] : state.expired_leases) {
    if (note(metadata_->DeleteLease(ns, id))) ++result.removed_leases;
  }
  std::set<std::string> reachable;  // digests marked in some namespace
  for (const auto& [ns, digest] : marks.content) reachable.insert(digest);
  for (const auto& [ns, rows] : state.content) {
    for (const auto& [digest, labels] : rows) {
      if (marks.content.contains({ns, digest})) continue;
      absl::StatusOr<Digest> parsed = Digest::Parse(digest);
      if (parsed.ok() && note(metadata_->RemoveContent(ns, *parsed))) ++result.removed_content_rows;
    }
  }
  for (const ContentInfo& blob : state.blobs) {
    if (reachable.contains(blob.digest.str())) continue;
    if (note(content_->Delete(blob.digest))) {
      ++result.removed_blobs;
      result.reclaimed_bytes += blob.size;
    }
  }
  for (const auto& [name, entries] : state.snapshots) {
    // Children first: deepest in the parent chain first, and never the parent of a
    // snapshot whose removal failed.
    std::vector<std::pair<size_t, const SnapshotEntry*>> doomed;
    for (const SnapshotEntry& entry : entries) {
      if (marks.snapshots.contains({name, entry.ns, entry.key})) continue;
      size_t depth = 0;
      for (const SnapshotEntry* e = &entry; e != nullptr && depth <= entries.size(); ++depth) {
        e = e->parent.empty() ? nullptr : FindSnapshot(state, name, e->ns, e->parent);
      }
      doomed.emplace_back(depth, &entry);
    }
    std::stable_sort(doomed.begin(), doomed.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::set<std::pair<std::string, std::string>> blocked;  // (ns, key) with a child left
    for (const auto& [depth, entry] : doomed) {
      absl::Status status =
          blocked.contains({entry->ns, entry->key})
              ? absl::AbortedError(absl::StrCat("snapshot ", name, "/", entry->key,
                                                ": a child could not be removed"))
              : snapshotters_.at(name)->RemoveSnapshot(entry->ns, entry->key);
      if (note(status)) {
        ++result.removed_snapshots;
      } else if (!absl::IsNotFound(status) && !entry->parent.empty()) {
        blocked.insert({entry->ns, entry->parent});
      }
    }
  }
  return result;
}

}  // namespace berth::images
