#include "src/pipeline/local_dag_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <type_traits>

#include "src/core/byte_buffer.h"
#include "src/core/crash_point.h"
#include "src/core/file_lock.h"
#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/core/sha256.h"
#include "src/metadata/lineage.h"
#include "src/metadata/metadata_store.h"

namespace edgepipe::pipeline {
namespace {

namespace md = ::edgepipe::metadata;
using Clock = std::chrono::steady_clock;

constexpr char kCacheKeyProperty[] = "cache_key";
constexpr char kErrorMessageProperty[] = "error_message";
constexpr char kTempDir[] = ".temp";
// In the pipeline root; the store's lock is "<metadata path>.lock".
constexpr char kRootLockFile[] = ".edgepipe.lock";

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string DumpJson(const nlohmann::json& j) {
  // Never throws: invalid UTF-8 in a string is replaced rather than refused.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// exec_properties -> execution custom properties: scalars keep their type
// (bool as 0/1, like TFX), anything else is stored as its JSON text.
md::PropertyMap ExecPropertiesToCustom(const nlohmann::json& props) {
  md::PropertyMap out;
  if (!props.is_object()) return out;
  for (const auto& [k, v] : props.items()) {
    if (v.is_null()) continue;
    if (v.is_boolean()) {
      out[k] = int64_t{v.get<bool>() ? 1 : 0};
    } else if (v.is_number_integer() &&
               !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX})) {
      out[k] = v.get<int64_t>();
    } else if (v.is_number_float()) {
      out[k] = v.get<double>();
    } else if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else {
      out[k] = DumpJson(v);
    }
  }
  return out;
}

std::string StringProp(const md::PropertyMap& m, const std::string& k) {
  auto it = m.find(k);
  if (it == m.end() || !std::holds_alternative<std::string>(it->second)) return "";
  return std::get<std::string>(it->second);
}

std::string ExternalPublishesJson(const std::vector<ExternalPublish>& publishes) {
  nlohmann::json list = nlohmann::json::array();
  for (const ExternalPublish& p : publishes) {
    list.push_back({{"staged", p.staged}, {"destination", p.destination}});
  }
  return DumpJson(list);
}

// The publishes a (dead) execution recorded; entries that do not parse are
// left out (the property is ours, so that only happens to a hand-edited store).
std::vector<ExternalPublish> RecordedExternalPublishes(const md::Execution& e) {
  std::vector<ExternalPublish> out;
  nlohmann::json list =
      nlohmann::json::parse(StringProp(e.custom_properties, kExternalPublishesProperty), nullptr,
                            /*allow_exceptions=*/false);
  if (!list.is_array()) return out;
  for (const nlohmann::json& p : list) {
    if (!p.is_object() || !p.contains("staged") || !p.contains("destination") ||
        !p["staged"].is_string() || !p["destination"].is_string()) {
      continue;
    }
    out.push_back({p["staged"].get<std::string>(), p["destination"].get<std::string>()});
  }
  return out;
}

md::PropertyType PropertyTypeOf(const PropertyValue& v) {
  if (std::holds_alternative<int64_t>(v)) return md::PropertyType::kInt;
  if (std::holds_alternative<double>(v)) return md::PropertyType::kDouble;
  return md::PropertyType::kString;
}

Artifact FromMetadata(const md::Artifact& a, const std::string& node, const std::string& key) {
  Artifact out;
  out.id = a.id;
  out.type_name = a.type;
  out.uri = a.uri;
  out.properties = a.properties;
  out.custom_properties = a.custom_properties;
  out.producer_node = node;
  out.output_key = key;
  return out;
}

std::string UtcRunId() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:06d}", buf, micros.count());
}

class Log {
 public:
  explicit Log(FILE* f) : f_(f) {}
  template <typename... Args>
  void Line(fmt::format_string<Args...> format, Args&&... args) {
    if (f_ == nullptr) return;
    std::string s = fmt::format(format, std::forward<Args>(args)...);
    s += '\n';
    std::lock_guard<std::mutex> lock(mu_);
    std::fwrite(s.data(), 1, s.size(), f_);
    std::fflush(f_);
  }

 private:
  FILE* f_;
  std::mutex mu_;
};

// Everything one run shares between its worker threads. The store is
// thread-safe; `results` entries are written once under `mu` and read only
// after the node finished.
struct RunState {
  const Pipeline* pipeline = nullptr;
  std::unique_ptr<md::MetadataStore> store;
  Log* log = nullptr;
  std::string run_id;
  md::Context pipeline_ctx, run_ctx;
  std::map<std::string, md::Context> node_ctx;       // by node id
  std::map<std::string, int64_t> execution_type_id;  // by node id
  std::map<std::string, size_t> index;               // node id -> component index
  std::vector<NodeResult> results;
  Collective* collective = nullptr;  // RunOptions::collective (this is rank 0)
  const GradientReducerFactory* reducer_factory = nullptr;  // RunOptions' (null: empty)

  // The executions this run has RUNNING, for FailRunningExecutions (another
  // thread, while the process is being stopped). `live_mu` guards them and
  // every step that changes one's state or what it published: registering
  // it RUNNING, recording its external publishes, placing its outputs up to
  // the COMPLETE transaction, recording it FAILED. Once `terminated`, those
  // steps are refused: the process is about to end and the store already
  // says how its executions ended.
  struct Running {
    const Component* component = nullptr;
    std::string cache_key;
    std::vector<ExternalPublish> publishes;  // as recorded in the store
  };
  std::mutex live_mu;
  bool terminated = false;
  std::map<int64_t, Running> running;  // by execution id
};

// The runs in progress in this process (FailRunningExecutions' view).
std::mutex& LiveRunsMutex() {
  static std::mutex* mu = new std::mutex;  // never destroyed: a signal may come at exit
  return *mu;
}
std::set<RunState*>& LiveRuns() {
  static std::set<RunState*>* runs = new std::set<RunState*>;
  return *runs;
}

// Lists a run among the live ones for as long as it exists; the RunState
// must outlive it.
class LiveRun {
 public:
  explicit LiveRun(RunState* rs) : rs_(rs) {
    std::lock_guard<std::mutex> lock(LiveRunsMutex());
    LiveRuns().insert(rs_);
  }
  ~LiveRun() {
    std::lock_guard<std::mutex> lock(LiveRunsMutex());
    LiveRuns().erase(rs_);
  }
  LiveRun(const LiveRun&) = delete;
  LiveRun& operator=(const LiveRun&) = delete;

 private:
  RunState* rs_;
};

Status Terminated() {
  return Status::FailedPrecondition(
      "the process is being stopped (its running executions were recorded FAILED)");
}

std::string NodeDir(const RunState& rs, const std::string& node_id) {
  return JoinPath(rs.pipeline->pipeline_root, node_id);
}

std::vector<md::Context> RunContexts(const RunState& rs, const std::string& node_id) {
  return {rs.pipeline_ctx, rs.run_ctx, rs.node_ctx.at(node_id)};
}

md::PropertyMap SystemProperties(const RunState& rs, const Component& c,
                                 const std::string& cache_key) {
  md::PropertyMap m = ExecPropertiesToCustom(c.exec_properties);
  m[md::kComponentIdProperty] = c.id;
  m[md::kPipelineNameProperty] = rs.pipeline->name;
  m[md::kRunIdProperty] = rs.run_id;
  m[kCacheKeyProperty] = cache_key;
  return m;
}

Status RegisterRun(RunState& rs, const RunOptions& options) {
  md::MetadataStore& store = *rs.store;
  const Pipeline& p = *rs.pipeline;
  ASSIGN_OR_RETURN(int64_t pipeline_t, store.PutContextType({0, md::kPipelineContextType, {}}));
  ASSIGN_OR_RETURN(int64_t run_t, store.PutContextType({0, md::kPipelineRunContextType, {}}));
  ASSIGN_OR_RETURN(int64_t node_t, store.PutContextType({0, md::kNodeContextType, {}}));
  for (const Component& c : p.components) {
    ASSIGN_OR_RETURN(rs.execution_type_id[c.id],
                     store.PutExecutionType({0, ExecutionTypeName(c.type), {}}));
    for (const auto& [key, type] : c.outputs) {
      RETURN_IF_ERROR(store.PutArtifactType({0, type, {}}).status());
    }
  }
  // Pipeline and node contexts persist across runs; the run context is new.
  auto get_or_put = [&](int64_t type_id, const std::string& type,
                        const std::string& name) -> StatusOr<md::Context> {
    ASSIGN_OR_RETURN(std::optional<md::Context> found, store.GetContextByTypeAndName(type, name));
    if (found) return *found;
    md::Context c;
    c.type_id = type_id;
    c.name = name;
    ASSIGN_OR_RETURN(c.id, store.PutContext(c));
    c.type = type;
    return c;
  };
  ASSIGN_OR_RETURN(rs.pipeline_ctx, get_or_put(pipeline_t, md::kPipelineContextType, p.name));

  std::string run_id = options.run_id.empty() ? UtcRunId() : options.run_id;
  ASSIGN_OR_RETURN(auto existing,
                   store.GetContextByTypeAndName(md::kPipelineRunContextType, run_id));
  if (existing && !options.run_id.empty()) {
    return Status::InvalidArgument(store.path() + ": run id '" + run_id + "' is already used");
  }
  for (int n = 2; existing; ++n) {
    std::string candidate = run_id + "-" + std::to_string(n);
    ASSIGN_OR_RETURN(existing,
                     store.GetContextByTypeAndName(md::kPipelineRunContextType, candidate));
    if (!existing) run_id = candidate;
  }
  rs.run_id = run_id;
  md::Context run;
  run.type_id = run_t;
  run.name = run_id;
  ASSIGN_OR_RETURN(run.id, store.PutContext(run));
  run.type = md::kPipelineRunContextType;
  rs.run_ctx = run;

  std::vector<md::ParentContext> parents = {{rs.run_ctx.id, rs.pipeline_ctx.id}};
  for (const Component& c : p.components) {
    ASSIGN_OR_RETURN(md::Context node,
                     get_or_put(node_t, md::kNodeContextType, p.name + "." + c.id));
    rs.node_ctx[c.id] = node;
    parents.push_back({node.id, rs.pipeline_ctx.id});
  }
  return store.PutParentContexts(parents);
}

// The current MLMD records of the input artifacts, each with its INPUT event
// (path: input key, index), for PutExecution.
StatusOr<std::vector<md::ArtifactAndEvent>> InputEvents(md::MetadataStore& store,
                                                        const ArtifactMap& inputs) {
  std::vector<int64_t> ids;
  for (const auto& [key, arts] : inputs) {
    for (const Artifact& a : arts) ids.push_back(a.id);
  }
  ASSIGN_OR_RETURN(std::vector<md::Artifact> records, store.GetArtifactsByID(ids));
  std::map<int64_t, const md::Artifact*> by_id;
  for (const md::Artifact& r : records) by_id[r.id] = &r;
  std::vector<md::ArtifactAndEvent> out;
  std::map<int64_t, size_t> event_of;  // artifact id -> its event in `out`
  for (const auto& [key, arts] : inputs) {
    for (size_t i = 0; i < arts.size(); ++i) {
      auto it = by_id.find(arts[i].id);
      if (it == by_id.end()) {
        return Status::NotFound("input '" + key + "' artifact " + std::to_string(arts[i].id) +
                                " is not in the metadata store");
      }
      // One artifact under two keys (an Evaluator whose baseline is its
      // candidate) is one event with both paths, as TFX's add_event_path
      // does: MLMD allows one INPUT event per artifact and execution.
      if (auto seen = event_of.find(arts[i].id); seen != event_of.end()) {
        auto& path = out[seen->second].event->path;
        path.push_back({key});
        path.push_back({static_cast<int64_t>(i)});
        continue;
      }
      event_of[arts[i].id] = out.size();
      md::ArtifactAndEvent ae;
      ae.artifact = *it->second;
      ae.event = md::Event{};
      ae.event->type = md::Event::Type::kInput;
      ae.event->path = {{key}, {static_cast<int64_t>(i)}};
      out.push_back(std::move(ae));
    }
  }
  return out;
}

struct CacheHit {
  int64_t execution_id = 0;
  ArtifactMap outputs;
  std::vector<md::Artifact> records;  // with the OUTPUT keys in `keys`
  std::vector<std::pair<std::string, int64_t>> keys;
};

// The newest COMPLETE execution of this node with this cache key whose
// outputs are exactly the declared keys, all LIVE and present on disk.
StatusOr<std::optional<CacheHit>> FindCached(RunState& rs, const Component& c,
                                             const std::string& cache_key) {
  md::MetadataStore& store = *rs.store;
  ASSIGN_OR_RETURN(
      std::vector<md::Execution> execs,
      store.GetExecutionsByContextStateAndCustomProperty(
          rs.node_ctx.at(c.id).id, md::Execution::State::kComplete, kCacheKeyProperty, cache_key));
  for (auto e = execs.rbegin(); e != execs.rend(); ++e) {  // the newest first
    ASSIGN_OR_RETURN(std::vector<md::Event> events, store.GetEventsByExecutionIDs({e->id}));
    CacheHit hit;
    hit.execution_id = e->id;
    std::vector<int64_t> ids;
    std::map<int64_t, std::pair<std::string, int64_t>> key_of;  // artifact -> (key, index)
    for (const md::Event& ev : events) {
      if (ev.type != md::Event::Type::kOutput) continue;
      if (ev.path.empty() || !std::holds_alternative<std::string>(ev.path[0].value)) continue;
      int64_t index = ev.path.size() > 1 && std::holds_alternative<int64_t>(ev.path[1].value)
                          ? std::get<int64_t>(ev.path[1].value)
                          : 0;
      key_of[ev.artifact_id] = {std::get<std::string>(ev.path[0].value), index};
      ids.push_back(ev.artifact_id);
    }
    ASSIGN_OR_RETURN(hit.records, store.GetArtifactsByID(ids));
    bool usable = hit.records.size() == ids.size();
    std::set<std::string> keys;
    for (const md::Artifact& a : hit.records) {
      const auto& [key, index] = key_of[a.id];
      auto declared = c.outputs.find(key);
      if (declared == c.outputs.end() || declared->second != a.type ||
          a.state != md::Artifact::State::kLive || !PathExists(a.uri)) {
        usable = false;
        break;
      }
      keys.insert(key);
      hit.keys.push_back({key, index});
      hit.outputs[key].push_back(FromMetadata(a, c.id, key));
    }
    if (!usable || keys.size() != c.outputs.size()) continue;
    return std::optional<CacheHit>(std::move(hit));
  }
  return std::optional<CacheHit>();
}

Status RecordCached(RunState& rs, const Component& c, const ArtifactMap& inputs,
                    const std::string& cache_key, const CacheHit& hit, int64_t* execution_id) {
  md::Execution e;
  e.type_id = rs.execution_type_id.at(c.id);
  e.last_known_state = md::Execution::State::kCached;
  e.custom_properties = SystemProperties(rs, c, cache_key);
  ASSIGN_OR_RETURN(std::vector<md::ArtifactAndEvent> arts, InputEvents(*rs.store, inputs));
  for (size_t i = 0; i < hit.records.size(); ++i) {
    md::ArtifactAndEvent ae;
    ae.artifact = hit.records[i];
    ae.event = md::Event{};
    ae.event->type = md::Event::Type::kOutput;
    ae.event->path = {{hit.keys[i].first}, {hit.keys[i].second}};
    arts.push_back(std::move(ae));
  }
  ASSIGN_OR_RETURN(md::PutExecutionResult r,
                   rs.store->PutExecution(e, arts, RunContexts(rs, c.id)));
  *execution_id = r.execution_id;
  return Status::OK();
}

// Records FAILED with `message` as error_message. Called with live_mu held.
Status MarkFailedLocked(RunState& rs, const Component& c, int64_t execution_id,
                        const std::string& cache_key, const std::string& message) {
  md::Execution e;
  e.id = execution_id;
  e.type_id = rs.execution_type_id.at(c.id);
  e.last_known_state = md::Execution::State::kFailed;
  e.custom_properties = SystemProperties(rs, c, cache_key);
  e.custom_properties[kErrorMessageProperty] = message;
  return rs.store->PutExecution(e).status();
}

Status MarkFailed(RunState& rs, const Component& c, int64_t execution_id,
                  const std::string& cache_key, const Status& error) {
  std::lock_guard<std::mutex> lock(rs.live_mu);
  rs.running.erase(execution_id);
  if (rs.terminated) return Status::OK();  // FailRunningExecutions recorded it
  return MarkFailedLocked(rs, c, execution_id, cache_key, error.ToString());
}

Status CallExecutor(const Component& c, ExecutionContext& ctx) {
  try {
    return c.executor(ctx);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("executor threw: ") + e.what());
  } catch (...) {
    return Status::Internal("executor threw a non-standard exception");
  }
}

// Removes <node>/.temp when nothing else is left in it.
void RemoveTempIfEmpty(const std::string& node_dir) {
  std::string temp = JoinPath(node_dir, kTempDir);
  auto entries = ListDirectory(temp);
  if (entries.ok() && entries->empty()) (void)RemoveAll(temp);
}

// ---- SPMD (RunOptions::collective): what rank 0 tells the other ranks -------

nlohmann::json PropertiesJson(const std::map<std::string, PropertyValue>& props) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : props) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, int64_t>) {
            out[name] = {{"int", v}};
          } else if constexpr (std::is_same_v<T, double>) {
            out[name] = {{"double", fmt::format("{}", v)}};  // round-trips, nan and inf too
          } else {
            out[name] = {{"string", v}};
          }
        },
        value);
  }
  return out;
}

std::map<std::string, PropertyValue> PropertiesFromJson(const nlohmann::json& j) {
  std::map<std::string, PropertyValue> out;
  for (const auto& [name, v] : j.items()) {
    if (v.contains("int")) {
      out[name] = v.at("int").get<int64_t>();
    } else if (v.contains("double")) {
      out[name] = std::strtod(v.at("double").get<std::string>().c_str(), nullptr);
    } else {
      out[name] = v.at("string").get<std::string>();
    }
  }
  return out;
}

nlohmann::json ArtifactMapJson(const ArtifactMap& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, arts] : map) {
    nlohmann::json list = nlohmann::json::array();
    for (const Artifact& a : arts) {
      list.push_back({{"id", a.id},
                      {"type_name", a.type_name},
                      {"uri", a.uri},
                      {"properties", PropertiesJson(a.properties)},
                      {"custom_properties", PropertiesJson(a.custom_properties)},
                      {"producer_node", a.producer_node},
                      {"output_key", a.output_key}});
    }
    out[key] = std::move(list);
  }
  return out;
}

// Throws nlohmann::json::exception on a malformed message (callers catch).
ArtifactMap ArtifactMapFromJson(const nlohmann::json& j) {
  ArtifactMap out;
  for (const auto& [key, list] : j.items()) {
    std::vector<Artifact>& arts = out[key];
    for (const nlohmann::json& a : list) {
      Artifact art;
      art.id = a.at("id").get<int64_t>();
      art.type_name = a.at("type_name").get<std::string>();
      art.uri = a.at("uri").get<std::string>();
      art.properties = PropertiesFromJson(a.at("properties"));
      art.custom_properties = PropertiesFromJson(a.at("custom_properties"));
      art.producer_node = a.at("producer_node").get<std::string>();
      art.output_key = a.at("output_key").get<std::string>();
      arts.push_back(std::move(art));
    }
  }
  return out;
}

nlohmann::json StatusJson(const Status& s) {
  return {{"code", static_cast<int>(s.code())}, {"message", s.message()}};
}

Status StatusFromJson(const nlohmann::json& j) {
  ByteWriter w;
  w.Put<int32_t>(j.at("code").get<int32_t>());
  w.PutString(j.at("message").get<std::string>());
  return DecodeStatus(w.Release(), "status from rank 0");
}

// The end of a run, which every rank returns.
std::string EndMessage(const StatusOr<RunResult>& result) {
  nlohmann::json msg = {{"kind", "end"}, {"status", StatusJson(result.status())}};
  if (result.ok()) {
    msg["run_id"] = result->run_id;
    msg["seconds"] = result->seconds;
    nlohmann::json nodes = nlohmann::json::array();
    for (const NodeResult& n : result->nodes) {
      nodes.push_back({{"node_id", n.node_id},
                       {"outcome", static_cast<int>(n.outcome)},
                       {"execution_id", n.execution_id},
                       {"outputs", ArtifactMapJson(n.outputs)},
                       {"seconds", n.seconds},
                       {"status", StatusJson(n.status)}});
    }
    msg["nodes"] = std::move(nodes);
  }
  return DumpJson(msg);
}

StatusOr<RunResult> RunResultFromEndMessage(const nlohmann::json& msg) {
  RETURN_IF_ERROR(StatusFromJson(msg.at("status")));
  RunResult result;
  result.run_id = msg.at("run_id").get<std::string>();
  result.seconds = msg.at("seconds").get<double>();
  for (const nlohmann::json& n : msg.at("nodes")) {
    NodeResult node;
    node.node_id = n.at("node_id").get<std::string>();
    const int outcome = n.at("outcome").get<int>();
    if (outcome < 0 || outcome > static_cast<int>(NodeResult::Outcome::kSkipped)) {
      return Status::Corruption("run result from rank 0: bad outcome " + std::to_string(outcome));
    }
    node.outcome = static_cast<NodeResult::Outcome>(outcome);
    node.execution_id = n.at("execution_id").get<int64_t>();
    node.outputs = ArtifactMapFromJson(n.at("outputs"));
    node.seconds = n.at("seconds").get<double>();
    node.status = StatusFromJson(n.at("status"));
    result.nodes.push_back(std::move(node));
  }
  return result;
}

// Rank 0's side of one executed node: tells the other ranks what to run,
// runs its own part and returns what the ranks agree on (the lowest failing
// rank's error). Without a group (or a group of one) it only calls the
// executor.
Status ExecuteOnRanks(RunState& rs, const Component& c, ExecutionContext& ctx) {
  if (rs.collective == nullptr) return CallExecutor(c, ctx);
  if (c.runs_on_every_rank) {
    ctx.collective = rs.collective;
    ctx.make_gradient_reducer = rs.reducer_factory;
  }
  if (rs.collective->size() == 1) return CallExecutor(c, ctx);
  Collective& group = *rs.collective;
  std::string msg = DumpJson({{"kind", "node"},
                              {"index", rs.index.at(c.id)},
                              {"node_id", c.id},
                              {"inputs", ArtifactMapJson(*ctx.inputs)},
                              {"outputs", ArtifactMapJson(*ctx.outputs)},
                              {"execution_id", ctx.execution_id},
                              {"run_id", ctx.run_id},
                              {"tmp_dir", ctx.tmp_dir}});
  RETURN_IF_ERROR(group.Broadcast(&msg));
  // Two agreements: that every rank is ready (so that no rank enters the
  // executor's collectives while another one skips them), then the outcome.
  RETURN_IF_ERROR(AgreeOnStatus(group, Status::OK()));
  const Status mine = CallExecutor(c, ctx);
  Status agreed = AgreeOnStatus(group, mine);
  // A peer that died or hangs fails the executor's own collectives first
  // (e.g. a gradient allreduce that timed out): its error says more than the
  // agreement's "the communicator failed earlier".
  if (!agreed.ok() && group.poisoned() && !mine.ok()) return mine;
  return agreed;
}

// Ranks 1..P-1: runs the nodes rank 0 sends until it sends the end of the run.
StatusOr<RunResult> FollowRun(const Pipeline& p, const RunOptions& options) {
  Collective& group = *options.collective;
  Log log(options.log);
  const std::string me = "rank " + std::to_string(group.rank());
  auto abort_job = [&](const Status& why) {
    log.Line("[{}] {}: {}: aborting the MPI job", p.name, me, why.ToString());
    group.Abort(1);
  };
  while (true) {
    std::string bytes;
    if (Status got = group.Broadcast(&bytes); !got.ok()) abort_job(got);
    Status ready = Status::OK();
    const Component* c = nullptr;
    ArtifactMap inputs, outputs;
    std::string tmp, run_id;
    int64_t execution_id = 0;
    try {
      const nlohmann::json msg = nlohmann::json::parse(bytes);
      if (msg.at("kind").get<std::string>() == "end") return RunResultFromEndMessage(msg);
      const size_t index = msg.at("index").get<size_t>();
      const std::string node_id = msg.at("node_id").get<std::string>();
      if (index >= p.components.size() || p.components[index].id != node_id) {
        ready = Status::FailedPrecondition(
            me + " built another pipeline than rank 0 (node " + std::to_string(index) + " is '" +
            (index < p.components.size() ? p.components[index].id : std::string("none")) +
            "' here, '" + node_id + "' on rank 0): every rank must run the same command");
      } else if (p.components[index].runs_on_every_rank) {
        c = &p.components[index];
        inputs = ArtifactMapFromJson(msg.at("inputs"));
        outputs = ArtifactMapFromJson(msg.at("outputs"));
        run_id = msg.at("run_id").get<std::string>();
        execution_id = msg.at("execution_id").get<int64_t>();
        // A scratch folder of its own, inside rank 0's (removed with it).
        tmp =
            JoinPath(msg.at("tmp_dir").get<std::string>(), "rank-" + std::to_string(group.rank()));
        ready = CreateDirectories(tmp);
      }
    } catch (const nlohmann::json::exception& e) {
      abort_job(Status::Corruption(std::string("message from rank 0: ") + e.what()));
    }
    // Every rank enters the executor, or none does.
    ready = AgreeOnStatus(group, ready);
    if (group.poisoned()) abort_job(ready);
    Status mine = Status::OK();
    if (ready.ok() && c != nullptr) {
      ExecutionContext ctx{&inputs,         &outputs,     &c->exec_properties,
                           p.pipeline_root, p.name,       c->id,
                           run_id,          execution_id, tmp};
      ctx.collective = &group;  // no external publishes: rank 0 publishes
      if (options.gradient_reducer_factory) {
        ctx.make_gradient_reducer = &options.gradient_reducer_factory;
      }
      // Fault injection for the tests: a rank that dies mid-component.
      CrashPoint(("runner.rank_executing." + c->id).c_str());
      mine = CallExecutor(*c, ctx);
    }
    if (!tmp.empty()) (void)RemoveAll(tmp);
    (void)AgreeOnStatus(group, mine);
    if (group.poisoned()) abort_job(Status::Internal("a collective failed"));
  }
}

// Executes one node whose inputs are resolved; fills `result`.
void ExecuteNode(RunState& rs, const Component& c, const ArtifactMap& inputs,
                 const std::string& cache_key, NodeResult& result, Clock::time_point t0) {
  md::MetadataStore& store = *rs.store;
  const std::string node_dir = NodeDir(rs, c.id);
  auto fail = [&](int64_t execution_id, Status error) {
    result.outcome = NodeResult::Outcome::kFailed;
    result.status = error;
    result.seconds = SecondsSince(t0);
    if (execution_id != 0) {
      Status st = MarkFailed(rs, c, execution_id, cache_key, error);
      if (!st.ok()) {
        result.status = error.WithContext("(and recording FAILED failed: " + st.message() + ")");
      }
    }
    rs.log->Line("[{}] FAILED after {:.2f}s (execution {}): {}", c.id, result.seconds, execution_id,
                 error.ToString());
    if (rs.collective != nullptr && rs.collective->poisoned()) {
      // The ranks no longer agree on where they are: FAILED is recorded, now
      // the job ends (the launcher stops every rank).
      rs.log->Line("[{}] the ranks lost each other: aborting the MPI job", c.id);
      rs.collective->Abort(1);
    }
  };

  // RUNNING, with its INPUT events, associated to the run's contexts.
  md::Execution running;
  running.type_id = rs.execution_type_id.at(c.id);
  running.last_known_state = md::Execution::State::kRunning;
  running.custom_properties = SystemProperties(rs, c, cache_key);
  auto input_events = InputEvents(store, inputs);
  if (!input_events.ok()) return fail(0, input_events.status());
  StatusOr<md::PutExecutionResult> registered = Terminated();
  {
    std::lock_guard<std::mutex> lock(rs.live_mu);
    if (!rs.terminated) {
      registered = store.PutExecution(running, *input_events, RunContexts(rs, c.id));
      if (registered.ok()) rs.running[registered->execution_id] = {&c, cache_key, {}};
    }
  }
  if (!registered.ok()) return fail(0, registered.status());
  const int64_t eid = registered->execution_id;
  result.execution_id = eid;
  rs.log->Line("[{}] executing (execution {})", c.id, eid);

  const std::string stage_root = JoinPath(JoinPath(node_dir, kTempDir), std::to_string(eid));
  const std::string tmp_dir = stage_root + "-tmp";
  auto cleanup_staging = [&] {
    (void)RemoveAll(stage_root);
    (void)RemoveAll(tmp_dir);
    RemoveTempIfEmpty(node_dir);
  };
  ArtifactMap outputs;
  for (const auto& [key, type] : c.outputs) {
    Artifact a;
    a.type_name = type;
    a.uri = JoinPath(stage_root, key);
    a.producer_node = c.id;
    a.output_key = key;
    Status st = CreateDirectories(a.uri);
    if (!st.ok()) {
      cleanup_staging();
      return fail(eid, st);
    }
    outputs[key].push_back(std::move(a));
  }
  if (Status st = CreateDirectories(tmp_dir); !st.ok()) {
    cleanup_staging();
    return fail(eid, st);
  }

  std::vector<ExternalPublish> external;
  ExecutionContext ctx{&inputs,
                       &outputs,
                       &c.exec_properties,
                       rs.pipeline->pipeline_root,
                       rs.pipeline->name,
                       c.id,
                       rs.run_id,
                       eid,
                       tmp_dir};
  ctx.external_publishes = &external;
  // Recorded in the RUNNING execution before the executor stages anything,
  // so the next run on this store can roll back what a dead run left.
  ctx.record_external_publishes = [&](const std::vector<ExternalPublish>& publishes) {
    std::lock_guard<std::mutex> lock(rs.live_mu);
    if (rs.terminated) return Terminated();
    md::Execution update = running;
    update.id = eid;
    update.custom_properties[kExternalPublishesProperty] = ExternalPublishesJson(publishes);
    RETURN_IF_ERROR(store.PutExecution(update).status());
    running.custom_properties = update.custom_properties;
    rs.running[eid].publishes = publishes;
    return Status::OK();
  };
  auto cleanup_external = [&](bool published) {
    (void)RollBackExternalPublishes(external, published);
  };
  Status st = ExecuteOnRanks(rs, c, ctx);
  // The executor may only fill in files and properties.
  if (st.ok()) {
    if (outputs.size() != c.outputs.size()) {
      st = Status::Internal("executor changed the set of output keys");
    }
    for (const auto& [key, type] : c.outputs) {
      auto it = outputs.find(key);
      if (!st.ok()) break;
      if (it == outputs.end() || it->second.size() != 1 ||
          it->second[0].uri != JoinPath(stage_root, key) || it->second[0].type_name != type) {
        st = Status::Internal("executor replaced output '" + key +
                              "' (it may only write files and set properties)");
      }
    }
  }
  if (!st.ok()) {
    cleanup_external(false);
    cleanup_staging();
    return fail(eid, st);
  }
  (void)RemoveAll(tmp_dir);

  // Move each output into place, then publish in one transaction: an
  // execution is COMPLETE only once its outputs are where it says. The
  // whole step holds live_mu, so a process being stopped records FAILED
  // either before any output is placed or not at all (COMPLETE won).
  std::unique_lock<std::mutex> live(rs.live_mu);
  if (rs.terminated) st = Terminated();
  std::vector<std::string> placed;
  std::vector<md::ArtifactAndEvent> published;
  for (auto& [key, arts] : outputs) {
    if (!st.ok()) break;
    Artifact& a = arts[0];
    std::string final_dir = JoinPath(JoinPath(node_dir, key), std::to_string(eid));
    // Nothing trusted can live here: the execution id is new.
    st = RemoveAll(final_dir);
    if (st.ok()) st = CreateDirectories(JoinPath(node_dir, key));
    if (st.ok()) st = RenamePath(a.uri, final_dir);
    if (!st.ok()) break;
    placed.push_back(final_dir);
    a.uri = final_dir;
    md::ArtifactType type{0, a.type_name, {}};
    for (const auto& [name, value] : a.properties) type.properties[name] = PropertyTypeOf(value);
    auto type_id = store.PutArtifactType(type);
    if (!type_id.ok()) {
      st = type_id.status().WithContext("output '" + key + "'");
      break;
    }
    md::ArtifactAndEvent ae;
    ae.artifact.type_id = *type_id;
    ae.artifact.uri = final_dir;
    ae.artifact.state = md::Artifact::State::kLive;
    ae.artifact.properties = a.properties;
    ae.artifact.custom_properties = a.custom_properties;
    ae.event = md::Event{};
    ae.event->type = md::Event::Type::kOutput;
    ae.event->path = {{key}, {int64_t{0}}};
    published.push_back(std::move(ae));
  }
  CrashPoint("runner.after_placing_outputs");
  bool external_published = false;
  if (st.ok()) {
    st = ApplyExternalPublishes(external);
    external_published = st.ok();
    if (!external.empty()) CrashPoint("runner.after_external_publish");
  }
  StatusOr<md::PutExecutionResult> done = Status::Internal("not published");
  if (st.ok()) {
    md::Execution complete;
    complete.id = eid;
    complete.type_id = running.type_id;
    complete.last_known_state = md::Execution::State::kComplete;
    complete.custom_properties = running.custom_properties;
    done = store.PutExecution(complete, published, RunContexts(rs, c.id));
    st = done.status();
  }
  if (!st.ok()) {
    // Never FAILED with a published folder: undo everything made visible.
    cleanup_external(external_published);
    for (const std::string& dir : placed) (void)RemoveAll(dir);
    live.unlock();
    cleanup_staging();
    return fail(eid, st);
  }
  rs.running.erase(eid);
  live.unlock();
  CrashPoint("runner.after_complete");
  cleanup_staging();
  size_t i = 0;
  for (auto& [key, arts] : outputs) arts[0].id = done->artifact_ids[i++];
  result.outputs = std::move(outputs);
  result.outcome = NodeResult::Outcome::kExecuted;
  result.seconds = SecondsSince(t0);
  rs.log->Line("[{}] done in {:.2f}s (execution {})", c.id, result.seconds, eid);
}

// A resolver node: looks its outputs up, records a COMPLETE execution with
// INPUT events to them (it read them; their producers stay their producers).
void ResolveNode(RunState& rs, const Component& c, NodeResult& result, Clock::time_point t0) {
  auto fail = [&](const Status& error) {
    result.outcome = NodeResult::Outcome::kFailed;
    result.status = error;
    result.seconds = SecondsSince(t0);
    rs.log->Line("[{}] FAILED: {}", c.id, error.ToString());
  };
  StatusOr<ArtifactMap> found = Status::Internal("resolve did not run");
  try {
    found = c.resolve(*rs.store, rs.pipeline->name);
  } catch (const std::exception& e) {
    found = Status::Internal(std::string("resolve threw: ") + e.what());
  }
  if (!found.ok()) return fail(found.status());
  ArtifactMap outputs;
  std::string what;
  for (const auto& [key, type] : c.outputs) {
    std::vector<Artifact> arts;
    if (auto it = found->find(key); it != found->end()) arts = it->second;
    for (const Artifact& a : arts) {
      if (a.id == 0 || a.type_name != type) {
        return fail(Status::Internal("resolved '" + key + "' is not a published " + type +
                                     " artifact (id " + std::to_string(a.id) + ", type " +
                                     a.type_name + ")"));
      }
      what += fmt::format("{}{} {}", what.empty() ? "" : ", ", key, a.id);
    }
    outputs[key] = std::move(arts);
  }
  for (const auto& [key, arts] : *found) {
    if (c.outputs.count(key) == 0) {
      return fail(Status::Internal("resolved an undeclared output '" + key + "'"));
    }
  }
  md::Execution e;
  e.type_id = rs.execution_type_id.at(c.id);
  e.last_known_state = md::Execution::State::kComplete;
  e.custom_properties = SystemProperties(rs, c, "");
  auto events = InputEvents(*rs.store, outputs);
  if (!events.ok()) return fail(events.status());
  auto put = rs.store->PutExecution(e, *events, RunContexts(rs, c.id));
  if (!put.ok()) return fail(put.status());
  result.execution_id = put->execution_id;
  result.outputs = std::move(outputs);
  result.outcome = NodeResult::Outcome::kResolved;
  result.seconds = SecondsSince(t0);
  rs.log->Line("[{}] resolved {} (execution {})", c.id, what.empty() ? "nothing" : what,
               result.execution_id);
}

NodeResult RunNode(RunState& rs, size_t index) {
  const Component& c = rs.pipeline->components[index];
  const Clock::time_point t0 = Clock::now();
  NodeResult result;
  result.node_id = c.id;
  // Inputs: the producers have finished (the scheduler guarantees it).
  if (c.resolve) {
    ResolveNode(rs, c, result, t0);
    return result;
  }
  ArtifactMap inputs;
  for (const auto& [key, ch] : c.inputs) {
    const NodeResult& up = rs.results[rs.index.at(ch.producer_node)];
    auto it = up.outputs.find(ch.output_key);
    inputs[key] = it == up.outputs.end() ? std::vector<Artifact>() : it->second;
  }
  const std::string cache_key = ComputeCacheKey(c, inputs);
  if (rs.pipeline->enable_cache) {
    auto hit = FindCached(rs, c, cache_key);
    if (!hit.ok()) {
      result.outcome = NodeResult::Outcome::kFailed;
      result.status = hit.status();
      rs.log->Line("[{}] FAILED: cache lookup: {}", c.id, hit.status().ToString());
      return result;
    }
    if (hit->has_value()) {
      const CacheHit& h = **hit;
      Status st = RecordCached(rs, c, inputs, cache_key, h, &result.execution_id);
      if (!st.ok()) {
        result.outcome = NodeResult::Outcome::kFailed;
        result.status = st;
        rs.log->Line("[{}] FAILED: recording the cached execution: {}", c.id, st.ToString());
        return result;
      }
      result.outcome = NodeResult::Outcome::kCached;
      result.outputs = h.outputs;
      result.seconds = SecondsSince(t0);
      rs.log->Line("[{}] cached (execution {}, outputs of execution {})", c.id, result.execution_id,
                   h.execution_id);
      return result;
    }
  }
  ExecuteNode(rs, c, inputs, cache_key, result, t0);
  return result;
}

// Runs the nodes on worker threads as their producers finish; a node whose
// producer failed or was skipped is skipped.
void Schedule(RunState& rs, int max_parallel) {
  const std::vector<Component>& comps = rs.pipeline->components;
  const size_t n = comps.size();
  std::mutex mu;
  std::condition_variable cv;
  std::deque<size_t> ready;
  std::vector<int> pending(n, 0);
  std::vector<std::vector<size_t>> dependents(n);
  std::vector<std::vector<size_t>> producers(n);
  size_t finished = 0;
  for (size_t i = 0; i < n; ++i) {
    std::set<size_t> ups;
    for (const auto& [key, ch] : comps[i].inputs) ups.insert(rs.index.at(ch.producer_node));
    producers[i].assign(ups.begin(), ups.end());
    pending[i] = static_cast<int>(ups.size());
    for (size_t u : ups) dependents[u].push_back(i);
  }
  for (size_t i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  // Called with `mu` held once results[i] is final.
  std::function<void(size_t)> finish = [&](size_t i) {
    ++finished;
    for (size_t d : dependents[i]) {
      if (--pending[d] > 0) continue;
      std::string bad;
      for (size_t u : producers[d]) {
        auto o = rs.results[u].outcome;
        if (o == NodeResult::Outcome::kFailed || o == NodeResult::Outcome::kSkipped) {
          bad = comps[u].id;
          break;
        }
      }
      if (bad.empty()) {
        ready.push_back(d);
        continue;
      }
      NodeResult& r = rs.results[d];
      r.node_id = comps[d].id;
      r.outcome = NodeResult::Outcome::kSkipped;
      r.status = Status::FailedPrecondition("upstream node '" + bad + "' did not complete");
      rs.log->Line("[{}] skipped: upstream node '{}' did not complete", comps[d].id, bad);
      finish(d);
    }
  };
  auto worker = [&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [&] { return !ready.empty() || finished == n; });
      if (ready.empty()) return;  // finished == n
      size_t i = ready.front();
      ready.pop_front();
      lock.unlock();
      NodeResult r = RunNode(rs, i);
      lock.lock();
      rs.results[i] = std::move(r);
      finish(i);
      cv.notify_all();
    }
  };
  const int threads = std::clamp(std::min<int>(max_parallel, static_cast<int>(n)), 1, kMaxThreads);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    // Parallel nodes only save time: when the OS refuses a thread (ulimit
    // -u), the threads already started, this one included, run every node.
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error& e) {
      rs.log->Line("[{}] running {} node(s) at a time instead of {}: cannot start a thread: {}",
                   rs.pipeline->name, t, threads, e.what());
      break;
    }
  }
  worker();
  for (std::thread& t : pool) t.join();
}

// Executions a dead process left RUNNING. Every run holds the store's lock
// while it writes, so a RUNNING execution seen by the holder belongs to a
// process that died. Each is rolled back and marked FAILED (MLMD has no
// "abandoned" state; FAILED with the reason in error_message is what TFX's
// orchestrator records for an execution it gave up on):
//   - what it recorded with PublishOnCommit is removed (staged and published
//     folders: it never became COMPLETE, so no version of it may stay);
//   - for this pipeline's own nodes, output folders it may have renamed into
//     place before dying (<root>/<node>/<key>/<id>) are removed; another
//     pipeline's root is not ours to touch (its .temp is cleaned by its next run).
Status RecoverAbandonedExecutions(RunState& rs) {
  md::MetadataStore& store = *rs.store;
  ASSIGN_OR_RETURN(std::vector<md::Execution> abandoned,
                   store.GetExecutionsByState(md::Execution::State::kRunning));
  for (md::Execution& e : abandoned) {
    std::vector<ExternalPublish> publishes = RecordedExternalPublishes(e);
    RETURN_IF_ERROR(RollBackExternalPublishes(publishes, /*published=*/true)
                        .WithContext("rolling back execution " + std::to_string(e.id)));
    std::string node = StringProp(e.custom_properties, md::kComponentIdProperty);
    auto index = rs.index.find(node);
    if (StringProp(e.custom_properties, md::kPipelineNameProperty) == rs.pipeline->name &&
        index != rs.index.end()) {
      for (const auto& [key, type] : rs.pipeline->components[index->second].outputs) {
        RETURN_IF_ERROR(
            RemoveAll(JoinPath(JoinPath(NodeDir(rs, node), key), std::to_string(e.id))));
      }
    }
    e.last_known_state = md::Execution::State::kFailed;
    e.custom_properties[kErrorMessageProperty] =
        "abandoned: the process running it died; found RUNNING by run " + rs.run_id +
        (publishes.empty()
             ? ""
             : " (its " + std::to_string(publishes.size()) + " pending publish(es) rolled back)");
    RETURN_IF_ERROR(store.PutExecution(e).status());
    rs.log->Line("[{}] execution {} ({}) was left RUNNING by a process that died: marked FAILED{}",
                 rs.pipeline->name, e.id, node.empty() ? e.type : node,
                 publishes.empty() ? "" : ", its pending publish rolled back");
  }
  return Status::OK();
}

// Takes the lock at `path`, waiting (and saying so) or failing at once.
// `what` names the locked thing for the message, e.g. "metadata store x.sqlite".
StatusOr<std::unique_ptr<FileLock>> LockForRun(const std::string& path, const std::string& what,
                                               const RunOptions& options, Log& log) {
  return FileLock::Acquire(
      path, options.wait_for_lock ? FileLock::Wait::kBlock : FileLock::Wait::kFail,
      [&](const std::string& holder) {
        log.Line("waiting for the run that holds {} ({}, lock {}) to finish", what, holder, path);
      });
}

StatusOr<RunResult> RunOnRoot(const Pipeline& pipeline, const RunOptions& options);

}  // namespace

std::string ExecutionTypeName(const std::string& component_type) {
  if (component_type.find('.') != std::string::npos) return component_type;
  return "edgepipe.components." + component_type;
}

const char* OutcomeName(NodeResult::Outcome outcome) {
  switch (outcome) {
    case NodeResult::Outcome::kExecuted:
      return "executed";
    case NodeResult::Outcome::kCached:
      return "cached";
    case NodeResult::Outcome::kResolved:
      return "resolved";
    case NodeResult::Outcome::kFailed:
      return "failed";
    case NodeResult::Outcome::kSkipped:
      return "skipped";
  }
  return "?";
}

std::string ComputeCacheKey(const Component& c, const ArtifactMap& inputs) {
  // Length-prefixed fields, so no two different field lists share a byte string.
  std::string buf;
  auto add = [&buf](std::string_view s) {
    buf += std::to_string(s.size());
    buf += ':';
    buf.append(s);
  };
  add("edgepipe cache v1");
  add(c.id);
  add(c.type);
  for (const auto& [key, arts] : inputs) {  // std::map: keys in order
    add(key);
    add(std::to_string(arts.size()));
    for (const Artifact& a : arts) {
      add(std::to_string(a.id));
      add(a.uri);
    }
  }
  // nlohmann::json objects are std::maps, so dump() is canonical (sorted keys).
  add(DumpJson(c.exec_properties.is_null() ? nlohmann::json::object() : c.exec_properties));
  add(c.code_fingerprint);
  return Sha256Hex(buf);
}

StatusOr<int> FailRunningExecutions(const std::string& reason) {
  std::lock_guard<std::mutex> runs(LiveRunsMutex());
  int failed = 0;
  Status first = Status::OK();
  for (RunState* rs : LiveRuns()) {
    std::lock_guard<std::mutex> lock(rs->live_mu);
    rs->terminated = true;
    for (const auto& [eid, r] : rs->running) {
      // What RecoverAbandonedExecutions would do at the next run, now: no
      // FAILED execution keeps a published folder.
      Status st = RollBackExternalPublishes(r.publishes, /*published=*/true);
      for (const auto& [key, type] : r.component->outputs) {
        Status removed =
            RemoveAll(JoinPath(JoinPath(NodeDir(*rs, r.component->id), key), std::to_string(eid)));
        if (st.ok()) st = removed;
      }
      Status marked = MarkFailedLocked(*rs, *r.component, eid, r.cache_key, reason);
      if (st.ok()) st = marked;
      if (marked.ok()) {
        ++failed;
        rs->log->Line("[{}] marked FAILED (execution {}): {}", r.component->id, eid, reason);
      }
      if (first.ok() && !st.ok()) {
        first = st.WithContext("execution " + std::to_string(eid) + " (" + r.component->id + ")");
      }
    }
    rs->running.clear();
  }
  RETURN_IF_ERROR(first);
  return failed;
}

const NodeResult* RunResult::node(const std::string& node_id) const {
  for (const NodeResult& n : nodes) {
    if (n.node_id == node_id) return &n;
  }
  return nullptr;
}

Status RunResult::status() const {
  for (const NodeResult& n : nodes) {
    if (n.outcome == NodeResult::Outcome::kFailed) return n.status.WithContext(n.node_id);
  }
  return Status::OK();
}

StatusOr<RunResult> LocalDagRunner::Run(const Pipeline& pipeline, const RunOptions& options) {
  Collective* group = options.collective;
  if (group == nullptr || group->size() == 1) return RunOnRoot(pipeline, options);
  if (!group->is_root()) return FollowRun(pipeline, options);
  StatusOr<RunResult> result = RunOnRoot(pipeline, options);
  std::string end = EndMessage(result);
  if (Status sent = group->Broadcast(&end); !sent.ok()) {
    if (options.log != nullptr) {
      std::fprintf(options.log, "[%s] telling the ranks the run ended: %s: aborting the MPI job\n",
                   pipeline.name.c_str(), sent.ToString().c_str());
    }
    group->Abort(1);
  }
  return result;
}

namespace {

StatusOr<RunResult> RunOnRoot(const Pipeline& pipeline, const RunOptions& options) {
  const Clock::time_point t0 = Clock::now();
  RETURN_IF_ERROR(ValidatePipeline(pipeline));
  RETURN_IF_ERROR(CreateDirectories(pipeline.pipeline_root));
  std::string db = pipeline.metadata_path.empty()
                       ? JoinPath(pipeline.pipeline_root, "metadata.sqlite")
                       : pipeline.metadata_path;
  Log log(options.log);
  // One run at a time per pipeline root and per store: a second run waits (or
  // fails with wait_for_lock false). The root is locked first, then the store,
  // always in that order, so two runs never wait for each other in a cycle.
  ASSIGN_OR_RETURN(std::unique_ptr<FileLock> root_lock,
                   LockForRun(JoinPath(pipeline.pipeline_root, kRootLockFile),
                              "pipeline root " + pipeline.pipeline_root, options, log));
  RunState rs;
  rs.pipeline = &pipeline;
  rs.log = &log;
  rs.collective = options.collective;
  if (options.gradient_reducer_factory) rs.reducer_factory = &options.gradient_reducer_factory;
  ASSIGN_OR_RETURN(rs.store, md::MetadataStore::Open(db));
  std::unique_ptr<FileLock> store_lock;
  if (rs.store->is_server()) {
    // A store on a server is shared by hosts a lock file cannot reach: the
    // server holds the lock, for as long as this run's connection lives.
    RETURN_IF_ERROR(rs.store->HoldRunLock(options.wait_for_lock, [&](const std::string& holder) {
      log.Line("waiting for the run that holds metadata store {} ({}) to finish", rs.store->path(),
               holder);
    }));
  } else {
    ASSIGN_OR_RETURN(store_lock, LockForRun(db + ".lock", "metadata store " + db, options, log));
  }
  for (size_t i = 0; i < pipeline.components.size(); ++i) {
    rs.index[pipeline.components[i].id] = i;
  }
  RETURN_IF_ERROR(RegisterRun(rs, options));
  RETURN_IF_ERROR(RecoverAbandonedExecutions(rs));
  const LiveRun live_run(&rs);
  for (const Component& c : pipeline.components) {
    // Leftovers of a killed run (the root is locked: no live run owns them):
    // never published, never trusted.
    RETURN_IF_ERROR(RemoveAll(JoinPath(NodeDir(rs, c.id), kTempDir)));
  }
  rs.results.resize(pipeline.components.size());
  log.Line("[{}] run {} started ({} nodes, root {}, metadata {})", pipeline.name, rs.run_id,
           pipeline.components.size(), pipeline.pipeline_root, rs.store->path());

  // Under a group, one node at a time on this thread: the ranks run the
  // nodes' collectives in one order, from the thread that owns MPI.
  Schedule(rs, rs.collective != nullptr ? 1 : options.max_parallel_nodes);

  RunResult result;
  result.run_id = rs.run_id;
  result.nodes = std::move(rs.results);
  result.seconds = SecondsSince(t0);
  int counts[4] = {0, 0, 0, 0};
  for (const NodeResult& n : result.nodes) ++counts[static_cast<int>(n.outcome)];
  log.Line("[{}] run {} finished in {:.2f}s: {} executed, {} cached, {} failed, {} skipped",
           pipeline.name, rs.run_id, result.seconds, counts[0], counts[1], counts[2], counts[3]);
  return result;
}

}  // namespace

}  // namespace edgepipe::pipeline
