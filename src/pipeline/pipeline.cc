#include "src/pipeline/pipeline.h"

#include <deque>
#include <set>

#include "src/core/files.h"
#include "src/metadata/lineage.h"

namespace edgepipe::pipeline {
namespace {

// Node ids and output keys become folder names under the pipeline root.
bool IsSafeName(const std::string& s) {
  if (s.empty() || s.size() > 200 || s[0] == '.' || s[0] == '-') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

StatusOr<const Artifact*> ExecutionContext::SingleInput(const std::string& key) const {
  auto it = inputs->find(key);
  if (it == inputs->end() || it->second.size() != 1) {
    return Status::InvalidArgument(node_id + ": input '" + key +
                                   "': expected exactly one artifact, got " +
                                   std::to_string(it == inputs->end() ? 0 : it->second.size()));
  }
  return &it->second.front();
}

StatusOr<Artifact*> ExecutionContext::SingleOutput(const std::string& key) const {
  auto it = outputs->find(key);
  if (it == outputs->end() || it->second.size() != 1) {
    return Status::InvalidArgument(node_id + ": output '" + key +
                                   "': expected exactly one artifact, got " +
                                   std::to_string(it == outputs->end() ? 0 : it->second.size()));
  }
  return &it->second.front();
}

Status ExecutionContext::PublishOnCommit(const std::string& staged,
                                         const std::string& destination) {
  if (external_publishes == nullptr) {
    return Status::FailedPrecondition(node_id + ": no runner to publish " + destination);
  }
  external_publishes->push_back({staged, destination});
  if (!record_external_publishes) return Status::OK();
  Status st = record_external_publishes(*external_publishes);
  if (!st.ok()) external_publishes->pop_back();
  return st;
}

Status ApplyExternalPublishes(const std::vector<ExternalPublish>& publishes) {
  for (size_t i = 0; i < publishes.size(); ++i) {
    Status st = RenamePathNoReplace(publishes[i].staged, publishes[i].destination);
    if (!st.ok()) {
      // Put the earlier ones back where they were staged.
      for (size_t j = 0; j < i; ++j) {
        (void)RenamePath(publishes[j].destination, publishes[j].staged);
      }
      return st;
    }
  }
  return Status::OK();
}

Status RollBackExternalPublishes(const std::vector<ExternalPublish>& publishes, bool published) {
  Status first;
  auto keep_first = [&first](Status st) {
    if (first.ok() && !st.ok()) first = st;
  };
  for (const ExternalPublish& p : publishes) {
    keep_first(RemoveAll(p.staged));
    if (published) keep_first(RemoveAll(p.destination));
  }
  return first;
}

Channel Component::output(const std::string& key) const {
  auto it = outputs.find(key);
  return Channel{id, key, it == outputs.end() ? std::string() : it->second};
}

bool IsReservedExecutionProperty(const std::string& name) {
  return name == metadata::kComponentIdProperty || name == metadata::kPipelineNameProperty ||
         name == metadata::kRunIdProperty || name == "cache_key" || name == "error_message" ||
         name == kExternalPublishesProperty;
}

Status ValidatePipeline(const Pipeline& p) {
  const std::string where = "pipeline '" + p.name + "'";
  if (p.name.empty()) return Status::InvalidArgument("pipeline: name is empty");
  if (p.pipeline_root.empty()) return Status::InvalidArgument(where + ": pipeline_root is empty");
  std::map<std::string, const Component*> by_id;
  for (const Component& c : p.components) {
    if (!IsSafeName(c.id)) {
      return Status::InvalidArgument(where + ": node id '" + c.id +
                                     "' must be non-empty letters, digits, '.', '_', '-' "
                                     "(not starting with '.' or '-')");
    }
    if (!by_id.emplace(c.id, &c).second) {
      return Status::InvalidArgument(where + ": duplicate node id '" + c.id + "'");
    }
    if (c.type.empty()) {
      return Status::InvalidArgument(where + ": node '" + c.id + "' has no component type");
    }
    if (!c.executor == !c.resolve) {
      return Status::InvalidArgument(
          where + ": node '" + c.id + "' has " +
          (c.executor ? "both an executor and a resolve function" : "no executor"));
    }
    for (const auto& [key, type] : c.outputs) {
      if (!IsSafeName(key)) {
        return Status::InvalidArgument(where + ": node '" + c.id + "': output key '" + key +
                                       "' is not a valid folder name");
      }
      if (type.empty()) {
        return Status::InvalidArgument(where + ": node '" + c.id + "': output '" + key +
                                       "' has no artifact type");
      }
    }
    if (!c.exec_properties.is_null() && !c.exec_properties.is_object()) {
      return Status::InvalidArgument(where + ": node '" + c.id +
                                     "': exec_properties must be a JSON object");
    }
    if (c.exec_properties.is_object()) {
      for (const auto& [k, v] : c.exec_properties.items()) {
        if (IsReservedExecutionProperty(k)) {
          return Status::InvalidArgument(where + ": node '" + c.id + "': exec property '" + k +
                                         "' is reserved by the runner");
        }
      }
    }
  }
  for (const Component& c : p.components) {
    for (const auto& [key, ch] : c.inputs) {
      auto it = by_id.find(ch.producer_node);
      const std::string prefix = where + ": node '" + c.id + "': input '" + key + "'";
      if (it == by_id.end()) {
        return Status::InvalidArgument(prefix + " refers to unknown node '" + ch.producer_node +
                                       "'");
      }
      auto out = it->second->outputs.find(ch.output_key);
      if (out == it->second->outputs.end()) {
        return Status::InvalidArgument(prefix + " refers to output '" + ch.output_key +
                                       "' which node '" + ch.producer_node + "' does not declare");
      }
      if (ch.type_name != out->second) {
        return Status::InvalidArgument(prefix + " expects artifact type '" + ch.type_name +
                                       "' but '" + ch.producer_node + "." + ch.output_key +
                                       "' produces '" + out->second + "'");
      }
    }
  }
  // Kahn's algorithm; whatever is left over lies on or behind a cycle.
  std::map<std::string, int> pending;
  std::map<std::string, std::vector<std::string>> dependents;
  for (const Component& c : p.components) {
    std::set<std::string> ups;
    for (const auto& [key, ch] : c.inputs) ups.insert(ch.producer_node);
    pending[c.id] = static_cast<int>(ups.size());
    for (const std::string& u : ups) dependents[u].push_back(c.id);
  }
  std::deque<std::string> ready;
  for (const Component& c : p.components) {
    if (pending[c.id] == 0) ready.push_back(c.id);
  }
  size_t done = 0;
  while (!ready.empty()) {
    std::string id = ready.front();
    ready.pop_front();
    ++done;
    for (const std::string& d : dependents[id]) {
      if (--pending[d] == 0) ready.push_back(d);
    }
  }
  if (done != p.components.size()) {
    std::string cycle;
    for (const Component& c : p.components) {
      if (pending[c.id] > 0) cycle += (cycle.empty() ? "'" : ", '") + c.id + "'";
    }
    return Status::InvalidArgument(where + ": dependency cycle among nodes " + cycle);
  }
  return Status::OK();
}

StatusOr<std::vector<size_t>> TopologicalOrder(const Pipeline& p) {
  RETURN_IF_ERROR(ValidatePipeline(p));
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < p.components.size(); ++i) index[p.components[i].id] = i;
  std::vector<bool> placed(p.components.size(), false);
  std::vector<size_t> order;
  // Repeatedly take the first component (in declaration order) whose
  // producers are all placed: stable and O(n^2), fine for pipelines.
  while (order.size() < p.components.size()) {
    for (size_t i = 0; i < p.components.size(); ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (const auto& [key, ch] : p.components[i].inputs) {
        if (!placed[index[ch.producer_node]]) ready = false;
      }
      if (ready) {
        placed[i] = true;
        order.push_back(i);
        break;
      }
    }
  }
  return order;
}

}  // namespace edgepipe::pipeline
