// ML Metadata (MLMD) store, schema version 10, on SQLite (a file: the
// embedded default) or PostgreSQL (a server that many hosts share, named by a
// libpq URI "postgresql://user@host:port/db").
//
// The database holds exactly MLMD's v10 tables and column names (Type,
// TypeProperty, ParentType, Artifact, ArtifactProperty, Execution,
// ExecutionProperty, Context, ContextProperty, ParentContext, Event, EventPath,
// Association, Attribution, MLMDEnv) and MLMD's 24 secondary indices, so a
// store written here can be read by MLMD's own SQLite or PostgreSQL back end
// and inspected with the `sqlite3` or `psql` CLI. The enum values below are
// MLMD's proto enum values and are stored as such. One implementation serves
// both engines; what differs between them is behind SqlConnection
// (sql_connection.h).
//
// Ownership and threading: a MetadataStore owns one connection. Every public
// method takes an internal mutex, so one store may be shared by the runner's
// threads. Every write that touches more than one row runs in one
// transaction: it is applied completely or not at all, so a process killed
// mid-write leaves the store as it was before the write (an execution is
// never recorded COMPLETE without its outputs and events). Write transactions
// of all processes take turns (SQLite's write lock; a PostgreSQL advisory
// lock). An SQLite file is in WAL mode so readers in other processes (the
// CLI) do not block a run.
//
// Failure: methods return Status; no method throws or prints. Messages start
// with the database path or the server URI (password hidden) and name the
// failed SQL statement.
#ifndef EDGEPIPE_METADATA_METADATA_STORE_H_
#define EDGEPIPE_METADATA_METADATA_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::metadata {

class SqlConnection;

// MLMDEnv.schema_version written and accepted by this store.
inline constexpr int64_t kSchemaVersion = 10;

// MLMD PropertyType (TypeProperty.data_type).
enum class PropertyType : int { kUnknown = 0, kInt = 1, kDouble = 2, kString = 3 };

// A property value: MLMD Value's int_value / double_value / string_value.
using Value = std::variant<int64_t, double, std::string>;
using PropertyMap = std::map<std::string, Value>;

// Artifact, execution and context types (Type.type_kind 1, 0 and 2).
struct ArtifactType {
  int64_t id = 0;
  std::string name;
  std::map<std::string, PropertyType> properties;
};
struct ExecutionType {
  int64_t id = 0;
  std::string name;
  std::map<std::string, PropertyType> properties;
};
struct ContextType {
  int64_t id = 0;
  std::string name;
  std::map<std::string, PropertyType> properties;
};

struct Artifact {
  // MLMD Artifact.State.
  enum class State : int {
    kUnknown = 0,
    kPending = 1,
    kLive = 2,
    kMarkedForDeletion = 3,
    kDeleted = 4,
    kAbandoned = 5,
    kReference = 6,
  };
  int64_t id = 0;       // 0: insert; otherwise update that artifact
  int64_t type_id = 0;  // required on insert
  std::string type;     // output only: the type's name
  std::string uri;
  std::string name;  // optional; unique per type when set
  State state = State::kUnknown;
  PropertyMap properties;  // must be declared by the type, with the same PropertyType
  PropertyMap custom_properties;
  int64_t create_time_since_epoch = 0;       // output only, ms
  int64_t last_update_time_since_epoch = 0;  // output only, ms
};

struct Execution {
  // MLMD Execution.State.
  enum class State : int {
    kUnknown = 0,
    kNew = 1,
    kRunning = 2,
    kComplete = 3,
    kFailed = 4,
    kCached = 5,
    kCanceled = 6,
  };
  int64_t id = 0;
  int64_t type_id = 0;
  std::string type;  // output only
  std::string name;
  State last_known_state = State::kUnknown;
  PropertyMap properties;
  PropertyMap custom_properties;
  int64_t create_time_since_epoch = 0;
  int64_t last_update_time_since_epoch = 0;
};

struct Context {
  int64_t id = 0;
  int64_t type_id = 0;
  std::string type;  // output only
  std::string name;  // required; unique per type
  PropertyMap properties;
  PropertyMap custom_properties;
  int64_t create_time_since_epoch = 0;
  int64_t last_update_time_since_epoch = 0;
};

struct Event {
  // MLMD Event.Type.
  enum class Type : int {
    kUnknown = 0,
    kDeclaredOutput = 1,
    kDeclaredInput = 2,
    kInput = 3,
    kOutput = 4,
    kInternalInput = 5,
    kInternalOutput = 6,
  };
  // One step of Event.path: either a key (e.g. the output key) or an index.
  struct Step {
    std::variant<int64_t, std::string> value;
  };
  int64_t id = 0;  // output only (Event.id column)
  int64_t artifact_id = 0;
  int64_t execution_id = 0;
  Type type = Type::kUnknown;
  std::vector<Step> path;                // TFX writes {key: <input/output key>}, {index: i}
  int64_t milliseconds_since_epoch = 0;  // 0: set to now on insert
};

struct Attribution {
  int64_t artifact_id = 0;
  int64_t context_id = 0;
};
struct Association {
  int64_t execution_id = 0;
  int64_t context_id = 0;
};
struct ParentContext {
  int64_t child_id = 0;
  int64_t parent_id = 0;
};

// PutExecution's artifact with its (optional) event; the event's artifact_id
// and execution_id are filled in by PutExecution.
struct ArtifactAndEvent {
  Artifact artifact;
  std::optional<Event> event;
};

struct PutExecutionResult {
  int64_t execution_id = 0;
  std::vector<int64_t> artifact_ids;  // in the order of the input
  std::vector<int64_t> context_ids;   // in the order of the input
};

class MetadataStore {
 public:
  struct Options {
    bool create_if_missing = true;  // false: a missing file is NotFound
    bool read_only = false;         // read-only connection (the CLI's queries)
  };

  // Opens `location`: a "postgresql://" (or "postgres://") URI connects to
  // that server database, anything else is an SQLite file path. Creates the
  // v10 schema with its indices in a new or empty database, and adds MLMD's
  // secondary indices an older edgepipe store lacks (unless read_only).
  // Errors: NotFound (a missing file, or an empty server database, with
  // create_if_missing false), Corruption (not an SQLite file, or an MLMD
  // store missing tables), FailedPrecondition (a database that is not MLMD,
  // or an MLMD schema version other than 10), IOError (cannot open the file
  // or connect to the server).
  static StatusOr<std::unique_ptr<MetadataStore>> Open(const std::string& location,
                                                       const Options& options);
  static StatusOr<std::unique_ptr<MetadataStore>> Open(const std::string& path) {
    return Open(path, Options{});
  }

  ~MetadataStore();
  MetadataStore(const MetadataStore&) = delete;
  MetadataStore& operator=(const MetadataStore&) = delete;

  // The SQLite path, or the server URI with its password hidden.
  const std::string& path() const { return path_; }
  // True for a store on a server (PostgreSQL), false for an SQLite file.
  bool is_server() const;

  // For a store on a server: takes the lock that one run holds on the whole
  // store (the runner's "one run at a time per store"; for an SQLite file it
  // is a FileLock beside the file, which cannot reach other hosts). Held
  // until the store is destroyed, or until its process dies (the server
  // releases it with the connection). When another run holds it: with `wait`
  // false, FailedPrecondition naming the holder; otherwise `on_wait` is called
  // once with the holder's description, then the call blocks until the lock
  // is free (holding the store's mutex: take it before sharing the store
  // with threads). FailedPrecondition on an SQLite store.
  Status HoldRunLock(bool wait, const std::function<void(const std::string& holder)>& on_wait);

  // Types. Put* returns the id of the type with that name, inserting it if
  // new; an existing type gains properties it lacks (MLMD can_add_fields);
  // a property declared with a different PropertyType is FailedPrecondition.
  // Get* is NotFound for an unknown name.
  StatusOr<int64_t> PutArtifactType(const ArtifactType& type);
  StatusOr<int64_t> PutExecutionType(const ExecutionType& type);
  StatusOr<int64_t> PutContextType(const ContextType& type);
  StatusOr<ArtifactType> GetArtifactType(const std::string& name);
  StatusOr<ExecutionType> GetExecutionType(const std::string& name);
  StatusOr<ContextType> GetContextType(const std::string& name);

  // Inserts (id 0) or updates (id set) nodes; returns their ids. An update
  // replaces uri/state/properties and refreshes last_update_time_since_epoch.
  // All rows of one call are one transaction.
  StatusOr<std::vector<int64_t>> PutArtifacts(const std::vector<Artifact>& artifacts);
  StatusOr<int64_t> PutArtifact(const Artifact& artifact);
  StatusOr<int64_t> PutExecution(const Execution& execution);
  StatusOr<int64_t> PutContext(const Context& context);
  StatusOr<std::vector<int64_t>> PutContexts(const std::vector<Context>& contexts);

  // Edges. Each call is one transaction; an attribution/association/parent
  // that already exists is left as is. Events must name existing artifacts
  // and executions (NotFound otherwise).
  Status PutEvents(const std::vector<Event>& events);
  Status PutAttributionsAndAssociations(const std::vector<Attribution>& attributions,
                                        const std::vector<Association>& associations);
  Status PutParentContexts(const std::vector<ParentContext>& parent_contexts);

  // MLMD's PutExecution: in ONE transaction, upserts the execution, upserts
  // each artifact and inserts its event, upserts each context (a context with
  // id 0 whose type+name exists is reused), and attributes every artifact and
  // associates the execution to every context.
  StatusOr<PutExecutionResult> PutExecution(const Execution& execution,
                                            const std::vector<ArtifactAndEvent>& artifacts,
                                            const std::vector<Context>& contexts);

  // Queries. Results are ordered by id. Unknown ids are skipped (like MLMD).
  StatusOr<std::vector<Artifact>> GetArtifacts();
  StatusOr<std::vector<Artifact>> GetArtifactsByID(const std::vector<int64_t>& ids);
  StatusOr<std::vector<Artifact>> GetArtifactsByType(const std::string& type_name);
  StatusOr<std::vector<Artifact>> GetArtifactsByURI(const std::string& uri);
  StatusOr<std::vector<Artifact>> GetArtifactsByContext(int64_t context_id);
  StatusOr<std::vector<Execution>> GetExecutions();
  StatusOr<std::vector<Execution>> GetExecutionsByID(const std::vector<int64_t>& ids);
  StatusOr<std::vector<Execution>> GetExecutionsByType(const std::string& type_name);
  StatusOr<std::vector<Execution>> GetExecutionsByContext(int64_t context_id);
  // The executions of `context_id` in `state` whose custom property `name`
  // holds the string `value` (MLMD: GetExecutionsByContext with the
  // filter_query `last_known_state = S AND custom_properties.<name>
  // .string_value = 'value'`), read without the others' properties: the
  // runner's cache lookup, whose cost must not grow with every cached rerun.
  StatusOr<std::vector<Execution>> GetExecutionsByContextStateAndCustomProperty(
      int64_t context_id, Execution::State state, const std::string& name,
      const std::string& value);
  // E.g. the RUNNING executions a dead process left behind.
  StatusOr<std::vector<Execution>> GetExecutionsByState(Execution::State state);
  StatusOr<std::vector<Context>> GetContexts();
  StatusOr<std::vector<Context>> GetContextsByID(const std::vector<int64_t>& ids);
  StatusOr<std::vector<Context>> GetContextsByType(const std::string& type_name);
  // nullopt when no context of that type has that name.
  StatusOr<std::optional<Context>> GetContextByTypeAndName(const std::string& type_name,
                                                           const std::string& context_name);
  StatusOr<std::vector<Context>> GetContextsByArtifact(int64_t artifact_id);
  StatusOr<std::vector<Context>> GetContextsByExecution(int64_t execution_id);
  StatusOr<std::vector<Context>> GetParentContextsByContext(int64_t context_id);
  StatusOr<std::vector<Context>> GetChildrenContextsByContext(int64_t context_id);
  StatusOr<std::vector<Event>> GetEventsByExecutionIDs(const std::vector<int64_t>& ids);
  StatusOr<std::vector<Event>> GetEventsByArtifactIDs(const std::vector<int64_t>& ids);

 private:
  explicit MetadataStore(std::unique_ptr<SqlConnection> conn);
  class Impl;  // statement helpers; all of its functions expect mu_ held
  friend class Impl;

  std::string path_;
  std::unique_ptr<SqlConnection> conn_;  // owned; used only with mu_ held
  std::mutex mu_;
};

// "LIVE", "COMPLETE", "OUTPUT", ... (MLMD's enum value names).
const char* ArtifactStateName(Artifact::State state);
const char* ExecutionStateName(Execution::State state);
const char* EventTypeName(Event::Type type);

}  // namespace edgepipe::metadata

#endif  // EDGEPIPE_METADATA_METADATA_STORE_H_
