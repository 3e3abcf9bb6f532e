#include "src/metadata/lineage.h"

#include <algorithm>
#include <set>

namespace edgepipe::metadata {
namespace {

std::string StringProperty(const PropertyMap& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end() || !std::holds_alternative<std::string>(it->second)) return "";
  return std::get<std::string>(it->second);
}

std::string FirstKey(const Event& e) {
  for (const Event::Step& s : e.path) {
    if (std::holds_alternative<std::string>(s.value)) return std::get<std::string>(s.value);
  }
  return "";
}

ExecutionSummary Summarize(const Execution& e, const std::vector<Event>& events) {
  ExecutionSummary s;
  s.id = e.id;
  s.type = e.type;
  s.node_id = StringProperty(e.custom_properties, kComponentIdProperty);
  s.pipeline_name = StringProperty(e.custom_properties, kPipelineNameProperty);
  s.run_id = StringProperty(e.custom_properties, kRunIdProperty);
  s.state = e.last_known_state;
  s.create_time_since_epoch = e.create_time_since_epoch;
  s.last_update_time_since_epoch = e.last_update_time_since_epoch;
  s.custom_properties = e.custom_properties;
  for (const Event& ev : events) {
    if (ev.execution_id != e.id) continue;
    if (ev.type == Event::Type::kInput || ev.type == Event::Type::kDeclaredInput) {
      s.input_artifact_ids.push_back(ev.artifact_id);
    } else if (ev.type == Event::Type::kOutput || ev.type == Event::Type::kDeclaredOutput) {
      s.output_artifact_ids.push_back(ev.artifact_id);
    }
  }
  std::sort(s.input_artifact_ids.begin(), s.input_artifact_ids.end());
  std::sort(s.output_artifact_ids.begin(), s.output_artifact_ids.end());
  return s;
}

StatusOr<std::vector<ExecutionSummary>> SummarizeExecutions(MetadataStore& store,
                                                            const std::vector<Execution>& execs) {
  std::vector<int64_t> ids;
  for (const Execution& e : execs) ids.push_back(e.id);
  ASSIGN_OR_RETURN(std::vector<Event> events, store.GetEventsByExecutionIDs(ids));
  std::vector<ExecutionSummary> out;
  for (const Execution& e : execs) out.push_back(Summarize(e, events));
  return out;
}

StatusOr<std::vector<ArtifactSummary>> SummarizeArtifacts(MetadataStore& store,
                                                          const std::vector<Artifact>& artifacts) {
  std::vector<int64_t> ids;
  for (const Artifact& a : artifacts) ids.push_back(a.id);
  ASSIGN_OR_RETURN(std::vector<Event> events, store.GetEventsByArtifactIDs(ids));
  // The producer is the first execution that output the artifact; later
  // OUTPUT events come from CACHED executions re-emitting it.
  std::map<int64_t, const Event*> first_output;
  std::set<int64_t> producer_ids;
  for (const Event& e : events) {
    if (e.type != Event::Type::kOutput && e.type != Event::Type::kDeclaredOutput) continue;
    auto [it, inserted] = first_output.emplace(e.artifact_id, &e);
    if (!inserted && e.execution_id < it->second->execution_id) it->second = &e;
  }
  for (const auto& [aid, e] : first_output) producer_ids.insert(e->execution_id);
  ASSIGN_OR_RETURN(std::vector<Execution> producers,
                   store.GetExecutionsByID({producer_ids.begin(), producer_ids.end()}));
  std::map<int64_t, std::string> node_of;
  for (const Execution& e : producers) {
    node_of[e.id] = StringProperty(e.custom_properties, kComponentIdProperty);
  }
  std::vector<ArtifactSummary> out;
  for (const Artifact& a : artifacts) {
    ArtifactSummary s;
    s.id = a.id;
    s.type = a.type;
    s.uri = a.uri;
    s.state = a.state;
    s.create_time_since_epoch = a.create_time_since_epoch;
    s.properties = a.properties;
    s.custom_properties = a.custom_properties;
    auto it = first_output.find(a.id);
    if (it != first_output.end()) {
      s.producer_execution_id = it->second->execution_id;
      s.producer_node = node_of[s.producer_execution_id];
      s.output_key = FirstKey(*it->second);
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

StatusOr<std::vector<RunSummary>> ListRuns(MetadataStore& store) {
  ASSIGN_OR_RETURN(std::vector<Context> runs, store.GetContextsByType(kPipelineRunContextType));
  std::vector<RunSummary> out;
  for (const Context& run : runs) {
    RunSummary s;
    s.context_id = run.id;
    s.run_id = run.name;
    s.create_time_since_epoch = run.create_time_since_epoch;
    s.last_update_time_since_epoch = run.last_update_time_since_epoch;
    ASSIGN_OR_RETURN(std::vector<Context> parents, store.GetParentContextsByContext(run.id));
    for (const Context& p : parents) {
      if (p.type == kPipelineContextType) s.pipeline_name = p.name;
    }
    ASSIGN_OR_RETURN(std::vector<Execution> execs, store.GetExecutionsByContext(run.id));
    s.num_executions = static_cast<int>(execs.size());
    for (const Execution& e : execs) {
      ++s.executions_by_state[ExecutionStateName(e.last_known_state)];
      s.last_update_time_since_epoch =
          std::max(s.last_update_time_since_epoch, e.last_update_time_since_epoch);
    }
    out.push_back(std::move(s));
  }
  return out;
}

StatusOr<std::vector<ExecutionSummary>> ListExecutions(MetadataStore& store,
                                                       const std::string& run_id) {
  std::vector<Execution> execs;
  if (run_id.empty()) {
    ASSIGN_OR_RETURN(execs, store.GetExecutions());
  } else {
    ASSIGN_OR_RETURN(std::optional<Context> run,
                     store.GetContextByTypeAndName(kPipelineRunContextType, run_id));
    if (!run) return Status::NotFound(store.path() + ": no pipeline run " + run_id);
    ASSIGN_OR_RETURN(execs, store.GetExecutionsByContext(run->id));
  }
  return SummarizeExecutions(store, execs);
}

StatusOr<std::vector<ArtifactSummary>> ListArtifacts(MetadataStore& store,
                                                     const std::string& type_name) {
  std::vector<Artifact> artifacts;
  if (type_name.empty()) {
    ASSIGN_OR_RETURN(artifacts, store.GetArtifacts());
  } else {
    ASSIGN_OR_RETURN(artifacts, store.GetArtifactsByType(type_name));
  }
  return SummarizeArtifacts(store, artifacts);
}

StatusOr<LineageGraph> GetLineage(MetadataStore& store, int64_t artifact_id,
                                  LineageDirection direction, int max_hops) {
  ASSIGN_OR_RETURN(std::vector<Artifact> root, store.GetArtifactsByID({artifact_id}));
  if (root.empty()) {
    return Status::NotFound(store.path() + ": artifact " + std::to_string(artifact_id) +
                            " does not exist");
  }
  const bool up = direction == LineageDirection::kUpstream;
  auto is_toward_artifact = [&](Event::Type t) {  // edge from execution to the artifact side
    return up ? (t == Event::Type::kOutput || t == Event::Type::kDeclaredOutput)
              : (t == Event::Type::kInput || t == Event::Type::kDeclaredInput);
  };
  auto is_away = [&](Event::Type t) {
    return up ? (t == Event::Type::kInput || t == Event::Type::kDeclaredInput)
              : (t == Event::Type::kOutput || t == Event::Type::kDeclaredOutput);
  };
  std::vector<int64_t> artifact_order = {artifact_id};
  std::set<int64_t> seen_artifacts = {artifact_id};
  std::vector<int64_t> exec_order;
  std::set<int64_t> seen_execs;
  std::set<int64_t> seen_events;
  std::vector<Event> edges;
  std::vector<int64_t> frontier = {artifact_id};
  for (int hop = 0; hop < max_hops && !frontier.empty(); ++hop) {
    ASSIGN_OR_RETURN(std::vector<Event> a_events, store.GetEventsByArtifactIDs(frontier));
    std::vector<int64_t> next_execs;
    for (const Event& e : a_events) {
      if (!is_toward_artifact(e.type)) continue;
      if (seen_events.insert(e.id).second) edges.push_back(e);
      if (seen_execs.insert(e.execution_id).second) {
        exec_order.push_back(e.execution_id);
        next_execs.push_back(e.execution_id);
      }
    }
    ASSIGN_OR_RETURN(std::vector<Event> e_events, store.GetEventsByExecutionIDs(next_execs));
    frontier.clear();
    for (const Event& e : e_events) {
      if (!is_away(e.type)) continue;
      if (seen_events.insert(e.id).second) edges.push_back(e);
      if (seen_artifacts.insert(e.artifact_id).second) {
        artifact_order.push_back(e.artifact_id);
        frontier.push_back(e.artifact_id);
      }
    }
  }
  LineageGraph g;
  g.root_artifact_id = artifact_id;
  ASSIGN_OR_RETURN(std::vector<Artifact> arts, store.GetArtifactsByID(artifact_order));
  ASSIGN_OR_RETURN(std::vector<ArtifactSummary> art_sums, SummarizeArtifacts(store, arts));
  std::map<int64_t, ArtifactSummary> by_id;
  for (auto& s : art_sums) by_id[s.id] = std::move(s);
  for (int64_t id : artifact_order) g.artifacts.push_back(std::move(by_id[id]));
  ASSIGN_OR_RETURN(std::vector<Execution> execs, store.GetExecutionsByID(exec_order));
  ASSIGN_OR_RETURN(std::vector<ExecutionSummary> exec_sums, SummarizeExecutions(store, execs));
  std::map<int64_t, ExecutionSummary> exec_by_id;
  for (auto& s : exec_sums) exec_by_id[s.id] = std::move(s);
  for (int64_t id : exec_order) g.executions.push_back(std::move(exec_by_id[id]));
  g.events = std::move(edges);
  return g;
}

}  // namespace edgepipe::metadata
