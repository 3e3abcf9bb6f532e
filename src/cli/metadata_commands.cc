// `edgepipe runs | executions | artifacts | lineage`: read-only views of the
// ML Metadata store (metadata/lineage.h does the queries; this file formats).
#include <cstdio>
#include <ctime>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "src/cli/command_registry.h"
#include "src/metadata/lineage.h"
#include "src/metadata/metadata_store.h"

namespace edgepipe::cli {

namespace {

namespace md = metadata;

// Property values longer than this stay out of the text tables (hashes,
// fingerprints); --json prints everything.
constexpr size_t kMaxTablePropertyChars = 48;

struct MetadataFlags {
  std::string path = "out/metadata.sqlite";  // the default of `run mnist`
  bool json = false;
};

void AddMetadataFlags(CLI::App* cmd, MetadataFlags& flags) {
  cmd->add_option("--metadata", flags.path,
                  "ML Metadata store: an SQLite file, or a PostgreSQL server as "
                  "postgresql://user@host:port/db")
      ->capture_default_str();
  cmd->add_flag("--json", flags.json, "Print JSON instead of a table");
}

// Never creates the file: a missing store is an error naming the path.
StatusOr<std::unique_ptr<md::MetadataStore>> OpenStore(const std::string& path) {
  return md::MetadataStore::Open(path, {.create_if_missing = false, .read_only = true});
}

std::string FormatTime(int64_t ms_since_epoch) {
  if (ms_since_epoch <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(ms_since_epoch / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string ValueText(const md::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

nlohmann::json ValueJson(const md::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

nlohmann::json PropertiesJson(const md::PropertyMap& props) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : props) out[k] = ValueJson(v);
  return out;
}

// "blessed=1 pushed=1 ..." from properties then custom properties.
std::string PropertiesText(const md::PropertyMap& props, const md::PropertyMap& custom) {
  std::string out;
  for (const md::PropertyMap* map : {&props, &custom}) {
    for (const auto& [k, v] : *map) {
      std::string text = ValueText(v);
      if (text.size() > kMaxTablePropertyChars) continue;
      if (!out.empty()) out += ' ';
      out += k + "=" + text;
    }
  }
  return out;
}

std::string IdList(const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out.empty() ? "-" : out;
}

nlohmann::json IdsJson(const std::vector<int64_t>& ids) {
  nlohmann::json out = nlohmann::json::array();
  for (int64_t id : ids) out.push_back(id);
  return out;
}

// ---- JSON of the summaries --------------------------------------------------

nlohmann::json RunJson(const md::RunSummary& r) {
  nlohmann::json states = nlohmann::json::object();
  for (const auto& [state, n] : r.executions_by_state) states[state] = n;
  return {{"run_id", r.run_id},
          {"pipeline_name", r.pipeline_name},
          {"context_id", r.context_id},
          {"create_time_since_epoch", r.create_time_since_epoch},
          {"last_update_time_since_epoch", r.last_update_time_since_epoch},
          {"num_executions", r.num_executions},
          {"executions_by_state", states}};
}

nlohmann::json ExecutionJson(const md::ExecutionSummary& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"node_id", e.node_id},
          {"pipeline_name", e.pipeline_name},
          {"run_id", e.run_id},
          {"state", md::ExecutionStateName(e.state)},
          {"create_time_since_epoch", e.create_time_since_epoch},
          {"last_update_time_since_epoch", e.last_update_time_since_epoch},
          {"input_artifact_ids", IdsJson(e.input_artifact_ids)},
          {"output_artifact_ids", IdsJson(e.output_artifact_ids)},
          {"custom_properties", PropertiesJson(e.custom_properties)}};
}

nlohmann::json ArtifactJson(const md::ArtifactSummary& a) {
  return {{"id", a.id},
          {"type", a.type},
          {"uri", a.uri},
          {"state", md::ArtifactStateName(a.state)},
          {"producer_execution_id", a.producer_execution_id},
          {"producer_node", a.producer_node},
          {"output_key", a.output_key},
          {"create_time_since_epoch", a.create_time_since_epoch},
          {"properties", PropertiesJson(a.properties)},
          {"custom_properties", PropertiesJson(a.custom_properties)}};
}

nlohmann::json EventJson(const md::Event& ev) {
  nlohmann::json path = nlohmann::json::array();
  for (const auto& step : ev.path) {
    if (const auto* key = std::get_if<std::string>(&step.value)) {
      path.push_back({{"key", *key}});
    } else {
      path.push_back({{"index", std::get<int64_t>(step.value)}});
    }
  }
  return {{"artifact_id", ev.artifact_id},
          {"execution_id", ev.execution_id},
          {"type", md::EventTypeName(ev.type)},
          {"path", path}};
}

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

// ---- verbs ------------------------------------------------------------------

Status ShowRuns(const MetadataFlags& flags) {
  ASSIGN_OR_RETURN(auto store, OpenStore(flags.path));
  ASSIGN_OR_RETURN(std::vector<md::RunSummary> runs, md::ListRuns(*store));
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) out.push_back(RunJson(r));
    PrintJson(out);
    return Status::OK();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : runs) {
    std::string states;
    for (const auto& [state, n] : r.executions_by_state) {
      states += (states.empty() ? "" : " ") + state + "=" + std::to_string(n);
    }
    rows.push_back({r.run_id, r.pipeline_name, FormatTime(r.create_time_since_epoch),
                    std::to_string(r.num_executions), states});
  }
  std::printf("%s",
              FormatTable({"RUN_ID", "PIPELINE", "CREATED", "EXECUTIONS", "STATES"}, rows).c_str());
  return Status::OK();
}

Status ShowExecutions(const MetadataFlags& flags, const std::string& run_id) {
  ASSIGN_OR_RETURN(auto store, OpenStore(flags.path));
  ASSIGN_OR_RETURN(std::vector<md::ExecutionSummary> executions,
                   md::ListExecutions(*store, run_id));
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : executions) out.push_back(ExecutionJson(e));
    PrintJson(out);
    return Status::OK();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : executions) {
    rows.push_back({std::to_string(e.id), e.node_id, e.type, md::ExecutionStateName(e.state),
                    e.run_id, IdList(e.input_artifact_ids), IdList(e.output_artifact_ids)});
  }
  std::printf(
      "%s",
      FormatTable({"ID", "NODE", "TYPE", "STATE", "RUN_ID", "INPUTS", "OUTPUTS"}, rows).c_str());
  return Status::OK();
}

Status ShowArtifacts(const MetadataFlags& flags, const std::string& type) {
  ASSIGN_OR_RETURN(auto store, OpenStore(flags.path));
  ASSIGN_OR_RETURN(std::vector<md::ArtifactSummary> artifacts, md::ListArtifacts(*store, type));
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : artifacts) out.push_back(ArtifactJson(a));
    PrintJson(out);
    return Status::OK();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : artifacts) {
    std::string producer = a.producer_node.empty() ? "-" : a.producer_node + ":" + a.output_key;
    rows.push_back({std::to_string(a.id), a.type, producer, md::ArtifactStateName(a.state), a.uri,
                    PropertiesText(a.properties, a.custom_properties)});
  }
  std::printf("%s",
              FormatTable({"ID", "TYPE", "PRODUCER", "STATE", "URI", "PROPERTIES"}, rows).c_str());
  return Status::OK();
}

// The lineage as an indented tree from the root artifact: each artifact
// lists the executions linked to it in the walk's direction, each execution
// the artifacts on its other side. A node reached twice is printed once and
// then referred to as "(see above)".
class LineageTreePrinter {
 public:
  LineageTreePrinter(const md::LineageGraph& graph, md::LineageDirection direction)
      : graph_(graph), upstream_(direction == md::LineageDirection::kUpstream) {}

  std::string Print() {
    PrintArtifact(graph_.root_artifact_id, 0);
    return out_;
  }

 private:
  const md::ArtifactSummary* FindArtifact(int64_t id) const {
    for (const auto& a : graph_.artifacts) {
      if (a.id == id) return &a;
    }
    return nullptr;
  }
  const md::ExecutionSummary* FindExecution(int64_t id) const {
    for (const auto& e : graph_.executions) {
      if (e.id == id) return &e;
    }
    return nullptr;
  }
  static bool IsInput(md::Event::Type t) {
    return t == md::Event::Type::kInput || t == md::Event::Type::kDeclaredInput ||
           t == md::Event::Type::kInternalInput;
  }
  static std::string EventKey(const md::Event& ev) {
    for (const auto& step : ev.path) {
      if (const auto* key = std::get_if<std::string>(&step.value)) return *key;
    }
    return "";
  }

  void PrintArtifact(int64_t id, int depth) {
    const md::ArtifactSummary* a = FindArtifact(id);
    std::string indent(depth * 2, ' ');
    if (a == nullptr) {
      out_ += indent + "artifact " + std::to_string(id) + "\n";
      return;
    }
    out_ += indent + "artifact " + std::to_string(a->id) + " " + a->type;
    if (!seen_artifacts_.insert(id).second) {
      out_ += "  (see above)\n";
      return;
    }
    out_ += std::string(" [") + md::ArtifactStateName(a->state) + "] " + a->uri;
    std::string props = PropertiesText(a->properties, a->custom_properties);
    if (!props.empty()) out_ += "  " + props;
    out_ += "\n";
    // Upstream: the executions that output this artifact; downstream: those
    // that read it.
    for (const auto& ev : graph_.events) {
      if (ev.artifact_id != id || IsInput(ev.type) == upstream_) continue;
      if (FindExecution(ev.execution_id) == nullptr) continue;
      PrintExecution(ev.execution_id, EventKey(ev), depth + 1);
    }
  }

  void PrintExecution(int64_t id, const std::string& key, int depth) {
    const md::ExecutionSummary* e = FindExecution(id);
    std::string indent(depth * 2, ' ');
    out_ += indent + (upstream_ ? "<- " : "-> ") + "execution " + std::to_string(e->id) + " " +
            e->node_id + " (" + e->type + ") [" + md::ExecutionStateName(e->state) + "]";
    if (!key.empty()) out_ += (upstream_ ? " output " : " input ") + key;
    if (!seen_executions_.insert(id).second) {
      out_ += "  (see above)\n";
      return;
    }
    out_ += "\n";
    for (const auto& ev : graph_.events) {
      if (ev.execution_id != id || IsInput(ev.type) != upstream_) continue;
      if (FindArtifact(ev.artifact_id) == nullptr) continue;
      out_ += std::string((depth + 1) * 2, ' ') + (upstream_ ? "input " : "output ") +
              EventKey(ev) + ":\n";
      PrintArtifact(ev.artifact_id, depth + 2);
    }
  }

  const md::LineageGraph& graph_;
  bool upstream_;
  std::set<int64_t> seen_artifacts_;
  std::set<int64_t> seen_executions_;
  std::string out_;
};

Status ShowLineage(const MetadataFlags& flags, int64_t artifact_id, bool downstream) {
  ASSIGN_OR_RETURN(auto store, OpenStore(flags.path));
  const auto direction =
      downstream ? md::LineageDirection::kDownstream : md::LineageDirection::kUpstream;
  ASSIGN_OR_RETURN(md::LineageGraph graph, md::GetLineage(*store, artifact_id, direction));
  if (flags.json) {
    nlohmann::json out = {{"root_artifact_id", graph.root_artifact_id},
                          {"direction", downstream ? "downstream" : "upstream"},
                          {"artifacts", nlohmann::json::array()},
                          {"executions", nlohmann::json::array()},
                          {"events", nlohmann::json::array()}};
    for (const auto& a : graph.artifacts) out["artifacts"].push_back(ArtifactJson(a));
    for (const auto& e : graph.executions) out["executions"].push_back(ExecutionJson(e));
    for (const auto& ev : graph.events) out["events"].push_back(EventJson(ev));
    PrintJson(out);
    return Status::OK();
  }
  std::printf("%s", LineageTreePrinter(graph, direction).Print().c_str());
  return Status::OK();
}

}  // namespace

void RegisterMetadataCommands(CLI::App& app) {
  {
    CLI::App* cmd = app.add_subcommand("runs", "List pipeline runs recorded in ML Metadata");
    auto flags = std::make_shared<MetadataFlags>();
    AddMetadataFlags(cmd, *flags);
    cmd->callback([flags] { SetCommandStatus(ShowRuns(*flags)); });
  }
  {
    CLI::App* cmd = app.add_subcommand("executions", "List component executions");
    auto flags = std::make_shared<MetadataFlags>();
    auto run_id = std::make_shared<std::string>();
    cmd->add_option("--run", *run_id, "Only the executions of this run id");
    AddMetadataFlags(cmd, *flags);
    cmd->callback([flags, run_id] { SetCommandStatus(ShowExecutions(*flags, *run_id)); });
  }
  {
    CLI::App* cmd = app.add_subcommand("artifacts", "List artifacts");
    auto flags = std::make_shared<MetadataFlags>();
    auto type = std::make_shared<std::string>();
    cmd->add_option("--type", *type, "Only artifacts of this type (Examples, Model, ...)");
    AddMetadataFlags(cmd, *flags);
    cmd->callback([flags, type] { SetCommandStatus(ShowArtifacts(*flags, *type)); });
  }
  {
    CLI::App* cmd = app.add_subcommand(
        "lineage", "Show what an artifact was made from (or, with --downstream, what it made)");
    auto flags = std::make_shared<MetadataFlags>();
    auto id = std::make_shared<int64_t>(0);
    auto downstream = std::make_shared<bool>(false);
    cmd->add_option("ARTIFACT_ID", *id, "Artifact id (see `edgepipe artifacts`)")
        ->required()
        ->check(IntInRange(1, std::numeric_limits<int64_t>::max()));
    cmd->add_flag("--downstream", *downstream, "Follow the artifact's consumers instead");
    AddMetadataFlags(cmd, *flags);
    cmd->callback(
        [flags, id, downstream] { SetCommandStatus(ShowLineage(*flags, *id, *downstream)); });
  }
}

}  // namespace edgepipe::cli
