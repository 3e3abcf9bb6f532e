#include "src/metadata/metadata_store.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <unordered_map>
#include <utility>

#include "src/core/crash_point.h"
#include "src/core/files.h"
#include "src/metadata/sql_connection.h"

namespace edgepipe::metadata {
namespace {

constexpr const char* kRequiredTables[] = {
    "Type",      "TypeProperty",      "ParentType",  "Artifact",        "ArtifactProperty",
    "Execution", "ExecutionProperty", "Context",     "ContextProperty", "ParentContext",
    "Event",     "EventPath",         "Association", "Attribution",     "MLMDEnv"};

// Type.type_kind values.
constexpr int kExecutionKind = 0;
constexpr int kArtifactKind = 1;
constexpr int kContextKind = 2;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using StmtPtr = std::unique_ptr<SqlStatement>;

std::string IdList(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(ids[i]);
  }
  return s;
}

// Property tables differ only in their names.
struct NodeTables {
  const char* table;       // "Artifact"
  const char* prop_table;  // "ArtifactProperty"
  const char* id_column;   // "artifact_id"
  int kind;
  const char* what;  // "artifact"
};
constexpr NodeTables kArtifactTables{"Artifact", "ArtifactProperty", "artifact_id", kArtifactKind,
                                     "artifact"};
constexpr NodeTables kExecutionTables{"Execution", "ExecutionProperty", "execution_id",
                                      kExecutionKind, "execution"};
constexpr NodeTables kContextTables{"Context", "ContextProperty", "context_id", kContextKind,
                                    "context"};

PropertyType TypeOfValue(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return PropertyType::kInt;
  if (std::holds_alternative<double>(v)) return PropertyType::kDouble;
  return PropertyType::kString;
}

const char* PropertyTypeName(PropertyType t) {
  switch (t) {
    case PropertyType::kInt:
      return "INT";
    case PropertyType::kDouble:
      return "DOUBLE";
    case PropertyType::kString:
      return "STRING";
    default:
      return "UNKNOWN";
  }
}

struct TypeRecord {
  int64_t id = 0;
  std::string name;
  std::map<std::string, PropertyType> properties;
};

}  // namespace

// All functions expect the caller to hold store.mu_ (and, for writes, an open
// transaction).
class MetadataStore::Impl {
 public:
  static Status Begin(MetadataStore& s) { return s.conn_->BeginWrite(); }
  static Status Commit(MetadataStore& s) { return s.conn_->Commit(); }
  static void Rollback(MetadataStore& s) { s.conn_->Rollback(); }

  // The id an "INSERT ... RETURNING id" statement returns.
  static StatusOr<int64_t> ReturnedId(SqlStatement& insert) {
    ASSIGN_OR_RETURN(bool row, insert.Step());
    if (!row) return Status::Internal("INSERT ... RETURNING id returned no row");
    return insert.Int(0);
  }

  // Runs fn in one transaction: commit if it returns OK, roll back otherwise.
  template <typename T, typename Fn>
  static StatusOr<T> InTransaction(MetadataStore& s, Fn&& fn) {
    Status st = Begin(s);
    if (!st.ok()) return st.WithContext(s.path_);
    StatusOr<T> r = fn();
    if (!r.ok()) {
      Rollback(s);
      return r.status().WithContext(s.path_);
    }
    CrashPoint("metadata.before_commit");  // tests: kill -9 inside a write
    st = Commit(s);
    if (!st.ok()) {
      Rollback(s);
      return st.WithContext(s.path_);
    }
    return r;
  }

  static StatusOr<std::optional<TypeRecord>> FindType(MetadataStore& s, const std::string& name,
                                                      int kind) {
    ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT id, name FROM Type WHERE name = ? AND "
                                                 "version IS NULL AND type_kind = ?"));
    q->Bind(1, name).Bind(2, static_cast<int64_t>(kind));
    ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return std::optional<TypeRecord>();
    TypeRecord t;
    t.id = q->Int(0);
    t.name = q->Text(1);
    ASSIGN_OR_RETURN(t.properties, TypeProperties(s, t.id));
    return std::optional<TypeRecord>(std::move(t));
  }

  static StatusOr<std::map<std::string, PropertyType>> TypeProperties(MetadataStore& s,
                                                                      int64_t type_id) {
    ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT name, data_type FROM TypeProperty WHERE "
                                                 "type_id = ?"));
    q->Bind(1, type_id);
    std::map<std::string, PropertyType> props;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      props[q->Text(0)] = static_cast<PropertyType>(q->Int(1));
    }
    return props;
  }

  static StatusOr<int64_t> PutType(MetadataStore& s, const TypeRecord& type, int kind) {
    if (type.name.empty()) return Status::InvalidArgument("type name is empty");
    for (const auto& [name, pt] : type.properties) {
      if (pt == PropertyType::kUnknown) {
        return Status::InvalidArgument("type " + type.name + ": property " + name +
                                       " has type UNKNOWN");
      }
    }
    ASSIGN_OR_RETURN(std::optional<TypeRecord> existing, FindType(s, type.name, kind));
    int64_t id;
    std::map<std::string, PropertyType> have;
    if (existing) {
      id = existing->id;
      have = existing->properties;
      for (const auto& [name, pt] : type.properties) {
        auto it = have.find(name);
        if (it != have.end() && it->second != pt) {
          return Status::FailedPrecondition("type " + type.name + ": property " + name +
                                            " is stored as " + PropertyTypeName(it->second) +
                                            ", not " + PropertyTypeName(pt));
        }
      }
    } else {
      ASSIGN_OR_RETURN(
          StmtPtr ins,
          s.conn_->Prepare("INSERT INTO Type(name, type_kind) VALUES(?, ?) RETURNING id"));
      ins->Bind(1, type.name).Bind(2, static_cast<int64_t>(kind));
      ASSIGN_OR_RETURN(id, ReturnedId(*ins));
    }
    for (const auto& [name, pt] : type.properties) {
      if (have.count(name)) continue;
      ASSIGN_OR_RETURN(StmtPtr ins, s.conn_->Prepare("INSERT INTO TypeProperty(type_id, name, "
                                                     "data_type) VALUES(?, ?, ?)"));
      ins->Bind(1, id).Bind(2, name).Bind(3, static_cast<int64_t>(pt));
      RETURN_IF_ERROR(ins->Run());
    }
    return id;
  }

  static StatusOr<TypeRecord> TypeById(MetadataStore& s, int64_t type_id, int kind,
                                       const char* what) {
    ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT id, name FROM Type WHERE id = ? AND "
                                                 "type_kind = ?"));
    q->Bind(1, type_id).Bind(2, static_cast<int64_t>(kind));
    ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) {
      return Status::NotFound(std::string(what) + " type id " + std::to_string(type_id) +
                              " does not exist");
    }
    TypeRecord t;
    t.id = q->Int(0);
    t.name = q->Text(1);
    ASSIGN_OR_RETURN(t.properties, TypeProperties(s, t.id));
    return t;
  }

  static Status CheckProperties(const TypeRecord& type, const PropertyMap& props,
                                const char* what) {
    for (const auto& [name, value] : props) {
      auto it = type.properties.find(name);
      if (it == type.properties.end()) {
        return Status::InvalidArgument(std::string(what) + " of type " + type.name + ": property " +
                                       name +
                                       " is not declared by the type (use custom_properties)");
      }
      if (it->second != TypeOfValue(value)) {
        return Status::InvalidArgument(std::string(what) + " of type " + type.name + ": property " +
                                       name + " is declared " + PropertyTypeName(it->second) +
                                       " but the value is " + PropertyTypeName(TypeOfValue(value)));
      }
    }
    return Status::OK();
  }

  static Status WriteProperties(MetadataStore& s, const NodeTables& t, int64_t id,
                                const PropertyMap& props, const PropertyMap& custom) {
    {
      ASSIGN_OR_RETURN(StmtPtr del, s.conn_->Prepare(std::string("DELETE FROM ") + t.prop_table +
                                                     " WHERE " + t.id_column + " = ?"));
      del->Bind(1, id);
      RETURN_IF_ERROR(del->Run());
    }
    for (int custom_flag = 0; custom_flag < 2; ++custom_flag) {
      const PropertyMap& m = custom_flag ? custom : props;
      for (const auto& [name, value] : m) {
        const char* column = std::holds_alternative<int64_t>(value)  ? "int_value"
                             : std::holds_alternative<double>(value) ? "double_value"
                                                                     : "string_value";
        ASSIGN_OR_RETURN(
            StmtPtr ins,
            s.conn_->Prepare(std::string("INSERT INTO ") + t.prop_table + "(" + t.id_column +
                             ", name, is_custom_property, " + column + ") VALUES(?, ?, ?, ?)"));
        ins->Bind(1, id).Bind(2, name).Bind(3, static_cast<int64_t>(custom_flag));
        std::visit([&](const auto& v) { ins->Bind(4, v); }, value);
        RETURN_IF_ERROR(ins->Run());
      }
    }
    return Status::OK();
  }

  // Reads the properties of every node in nodes (Artifact, Execution or
  // Context records with their ids set): one query per kPropertyBatch nodes,
  // not one per node, so that listing n nodes costs a few statements.
  static constexpr size_t kPropertyBatch = 500;
  template <typename Node>
  static Status ReadProperties(MetadataStore& s, const NodeTables& t, std::vector<Node>* nodes) {
    std::unordered_map<int64_t, Node*> by_id;
    for (Node& n : *nodes) by_id[n.id] = &n;
    for (size_t begin = 0; begin < nodes->size(); begin += kPropertyBatch) {
      std::vector<int64_t> ids;
      for (size_t i = begin; i < std::min(nodes->size(), begin + kPropertyBatch); ++i) {
        ids.push_back((*nodes)[i].id);
      }
      ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare(std::string("SELECT ") + t.id_column +
                                                   ", name, is_custom_property, int_value, "
                                                   "double_value, string_value FROM " +
                                                   t.prop_table + " WHERE " + t.id_column +
                                                   " IN (" + IdList(ids) + ")"));
      while (true) {
        ASSIGN_OR_RETURN(bool row, q->Step());
        if (!row) break;
        auto it = by_id.find(q->Int(0));
        if (it == by_id.end()) continue;
        PropertyMap& m = q->Int(2) ? it->second->custom_properties : it->second->properties;
        Value v;
        if (!q->IsNull(3)) {
          v = q->Int(3);
        } else if (!q->IsNull(4)) {
          v = q->Double(4);
        } else {
          v = q->Text(5);
        }
        m[q->Text(1)] = std::move(v);
      }
    }
    return Status::OK();
  }

  static Status CheckRowExists(MetadataStore& s, const char* table, int64_t id, const char* what) {
    ASSIGN_OR_RETURN(StmtPtr q,
                     s.conn_->Prepare(std::string("SELECT 1 FROM ") + table + " WHERE id = ?"));
    q->Bind(1, id);
    ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row)
      return Status::NotFound(std::string(what) + " " + std::to_string(id) + " does not exist");
    return Status::OK();
  }

  static StatusOr<int64_t> PutArtifactLocked(MetadataStore& s, const Artifact& a) {
    int64_t now = NowMillis();
    int64_t type_id = a.type_id;
    if (a.id != 0) {
      ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT type_id FROM Artifact WHERE id = ?"));
      q->Bind(1, a.id);
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) return Status::NotFound("artifact " + std::to_string(a.id) + " does not exist");
      if (type_id != 0 && type_id != q->Int(0)) {
        return Status::InvalidArgument("artifact " + std::to_string(a.id) +
                                       ": type_id cannot change");
      }
      type_id = q->Int(0);
    }
    ASSIGN_OR_RETURN(TypeRecord type, TypeById(s, type_id, kArtifactKind, "artifact"));
    RETURN_IF_ERROR(CheckProperties(type, a.properties, "artifact"));
    int64_t id = a.id;
    if (id == 0) {
      ASSIGN_OR_RETURN(StmtPtr ins,
                       s.conn_->Prepare("INSERT INTO Artifact(type_id, uri, state, name, "
                                        "create_time_since_epoch, "
                                        "last_update_time_since_epoch) VALUES(?, ?, ?, ?, "
                                        "?, ?) RETURNING id"));
      ins->Bind(1, type_id).Bind(2, a.uri).Bind(3, static_cast<int64_t>(a.state));
      ins->BindOptionalText(4, a.name).Bind(5, now).Bind(6, now);
      ASSIGN_OR_RETURN(id, ReturnedId(*ins));
    } else {
      ASSIGN_OR_RETURN(StmtPtr up,
                       s.conn_->Prepare("UPDATE Artifact SET uri = ?, state = ?, "
                                        "last_update_time_since_epoch = ? WHERE id = ?"));
      up->Bind(1, a.uri).Bind(2, static_cast<int64_t>(a.state)).Bind(3, now).Bind(4, id);
      RETURN_IF_ERROR(up->Run());
    }
    RETURN_IF_ERROR(WriteProperties(s, kArtifactTables, id, a.properties, a.custom_properties));
    return id;
  }

  static StatusOr<int64_t> PutExecutionLocked(MetadataStore& s, const Execution& e) {
    int64_t now = NowMillis();
    int64_t type_id = e.type_id;
    if (e.id != 0) {
      ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT type_id FROM Execution WHERE id = ?"));
      q->Bind(1, e.id);
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) return Status::NotFound("execution " + std::to_string(e.id) + " does not exist");
      if (type_id != 0 && type_id != q->Int(0)) {
        return Status::InvalidArgument("execution " + std::to_string(e.id) +
                                       ": type_id cannot change");
      }
      type_id = q->Int(0);
    }
    ASSIGN_OR_RETURN(TypeRecord type, TypeById(s, type_id, kExecutionKind, "execution"));
    RETURN_IF_ERROR(CheckProperties(type, e.properties, "execution"));
    int64_t id = e.id;
    if (id == 0) {
      ASSIGN_OR_RETURN(StmtPtr ins,
                       s.conn_->Prepare("INSERT INTO Execution(type_id, "
                                        "last_known_state, name, create_time_since_epoch, "
                                        "last_update_time_since_epoch) VALUES(?, ?, ?, ?, "
                                        "?) RETURNING id"));
      ins->Bind(1, type_id).Bind(2, static_cast<int64_t>(e.last_known_state));
      ins->BindOptionalText(3, e.name).Bind(4, now).Bind(5, now);
      ASSIGN_OR_RETURN(id, ReturnedId(*ins));
    } else {
      ASSIGN_OR_RETURN(StmtPtr up,
                       s.conn_->Prepare("UPDATE Execution SET last_known_state = ?, "
                                        "last_update_time_since_epoch = ? WHERE id = ?"));
      up->Bind(1, static_cast<int64_t>(e.last_known_state)).Bind(2, now).Bind(3, id);
      RETURN_IF_ERROR(up->Run());
    }
    RETURN_IF_ERROR(WriteProperties(s, kExecutionTables, id, e.properties, e.custom_properties));
    return id;
  }

  static StatusOr<int64_t> PutContextLocked(MetadataStore& s, const Context& c,
                                            bool reuse_existing) {
    if (c.name.empty()) return Status::InvalidArgument("context name is empty");
    int64_t now = NowMillis();
    int64_t id = c.id;
    int64_t type_id = c.type_id;
    if (id == 0 && reuse_existing) {
      ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT id FROM Context WHERE type_id = ? AND "
                                                   "name = ?"));
      q->Bind(1, type_id).Bind(2, c.name);
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (row) return q->Int(0);  // MLMD reuse_context_if_already_exist: left unchanged
    }
    if (id != 0) {
      ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT type_id FROM Context WHERE id = ?"));
      q->Bind(1, id);
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) return Status::NotFound("context " + std::to_string(id) + " does not exist");
      type_id = q->Int(0);
    }
    ASSIGN_OR_RETURN(TypeRecord type, TypeById(s, type_id, kContextKind, "context"));
    RETURN_IF_ERROR(CheckProperties(type, c.properties, "context"));
    if (id == 0) {
      ASSIGN_OR_RETURN(StmtPtr ins,
                       s.conn_->Prepare("INSERT INTO Context(type_id, name, "
                                        "create_time_since_epoch, "
                                        "last_update_time_since_epoch) VALUES(?, ?, ?, ?) "
                                        "RETURNING id"));
      ins->Bind(1, type_id).Bind(2, c.name).Bind(3, now).Bind(4, now);
      StatusOr<int64_t> inserted = ReturnedId(*ins);
      if (inserted.status().code() == Status::Code::kFailedPrecondition) {
        return Status::FailedPrecondition("context " + type.name + "/" + c.name +
                                          " already exists");
      }
      ASSIGN_OR_RETURN(id, std::move(inserted));
    } else {
      ASSIGN_OR_RETURN(StmtPtr up,
                       s.conn_->Prepare("UPDATE Context SET name = ?, "
                                        "last_update_time_since_epoch = ? WHERE id = ?"));
      up->Bind(1, c.name).Bind(2, now).Bind(3, id);
      RETURN_IF_ERROR(up->Run());
    }
    RETURN_IF_ERROR(WriteProperties(s, kContextTables, id, c.properties, c.custom_properties));
    return id;
  }

  static Status PutEventLocked(MetadataStore& s, const Event& e) {
    if (e.type == Event::Type::kUnknown) {
      return Status::InvalidArgument("event of artifact " + std::to_string(e.artifact_id) +
                                     " and execution " + std::to_string(e.execution_id) +
                                     " has type UNKNOWN");
    }
    RETURN_IF_ERROR(CheckRowExists(s, "Artifact", e.artifact_id, "artifact"));
    RETURN_IF_ERROR(CheckRowExists(s, "Execution", e.execution_id, "execution"));
    ASSIGN_OR_RETURN(
        StmtPtr ins,
        s.conn_->Prepare("INSERT INTO Event(artifact_id, execution_id, "
                         "type, milliseconds_since_epoch) VALUES(?, ?, ?, ?) RETURNING id"));
    ins->Bind(1, e.artifact_id).Bind(2, e.execution_id).Bind(3, static_cast<int64_t>(e.type));
    ins->Bind(4, e.milliseconds_since_epoch ? e.milliseconds_since_epoch : NowMillis());
    ASSIGN_OR_RETURN(int64_t event_id, ReturnedId(*ins));
    for (const Event::Step& step : e.path) {
      bool is_index = std::holds_alternative<int64_t>(step.value);
      ASSIGN_OR_RETURN(StmtPtr p, s.conn_->Prepare(std::string("INSERT INTO EventPath("
                                                               "event_id, is_index_step, ") +
                                                   (is_index ? "step_index" : "step_key") +
                                                   ") VALUES(?, ?, ?)"));
      p->Bind(1, event_id).Bind(2, static_cast<int64_t>(is_index));
      std::visit([&](const auto& v) { p->Bind(3, v); }, step.value);
      RETURN_IF_ERROR(p->Run());
    }
    return Status::OK();
  }

  static Status PutLink(MetadataStore& s, const char* table, const char* column, int64_t context_id,
                        int64_t node_id) {
    ASSIGN_OR_RETURN(StmtPtr ins,
                     s.conn_->Prepare(std::string("INSERT INTO ") + table + "(context_id, " +
                                      column + ") VALUES(?, ?) ON CONFLICT DO NOTHING"));
    ins->Bind(1, context_id).Bind(2, node_id);
    return ins->Run();
  }

  static StatusOr<std::vector<Artifact>> QueryArtifacts(MetadataStore& s, const std::string& where,
                                                        const std::vector<Value>& args) {
    ASSIGN_OR_RETURN(StmtPtr q,
                     s.conn_->Prepare("SELECT A.id, A.type_id, T.name, A.uri, A.name, "
                                      "A.state, A.create_time_since_epoch, "
                                      "A.last_update_time_since_epoch FROM Artifact AS A "
                                      "LEFT JOIN Type AS T ON T.id = A.type_id " +
                                      where + " ORDER BY A.id"));
    for (size_t i = 0; i < args.size(); ++i) {
      std::visit([&](const auto& v) { q->Bind(static_cast<int>(i + 1), v); }, args[i]);
    }
    std::vector<Artifact> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      Artifact a;
      a.id = q->Int(0);
      a.type_id = q->Int(1);
      a.type = q->Text(2);
      a.uri = q->Text(3);
      a.name = q->Text(4);
      a.state = static_cast<Artifact::State>(q->Int(5));
      a.create_time_since_epoch = q->Int(6);
      a.last_update_time_since_epoch = q->Int(7);
      out.push_back(std::move(a));
    }
    RETURN_IF_ERROR(ReadProperties(s, kArtifactTables, &out));
    return out;
  }

  static StatusOr<std::vector<Execution>> QueryExecutions(MetadataStore& s,
                                                          const std::string& where,
                                                          const std::vector<Value>& args) {
    ASSIGN_OR_RETURN(StmtPtr q,
                     s.conn_->Prepare("SELECT E.id, E.type_id, T.name, E.name, "
                                      "E.last_known_state, E.create_time_since_epoch, "
                                      "E.last_update_time_since_epoch FROM Execution AS E "
                                      "LEFT JOIN Type AS T ON T.id = E.type_id " +
                                      where + " ORDER BY E.id"));
    for (size_t i = 0; i < args.size(); ++i) {
      std::visit([&](const auto& v) { q->Bind(static_cast<int>(i + 1), v); }, args[i]);
    }
    std::vector<Execution> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      Execution e;
      e.id = q->Int(0);
      e.type_id = q->Int(1);
      e.type = q->Text(2);
      e.name = q->Text(3);
      e.last_known_state = static_cast<Execution::State>(q->Int(4));
      e.create_time_since_epoch = q->Int(5);
      e.last_update_time_since_epoch = q->Int(6);
      out.push_back(std::move(e));
    }
    RETURN_IF_ERROR(ReadProperties(s, kExecutionTables, &out));
    return out;
  }

  static StatusOr<std::vector<Context>> QueryContexts(MetadataStore& s, const std::string& where,
                                                      const std::vector<Value>& args) {
    ASSIGN_OR_RETURN(StmtPtr q, s.conn_->Prepare("SELECT C.id, C.type_id, T.name, C.name, "
                                                 "C.create_time_since_epoch, "
                                                 "C.last_update_time_since_epoch FROM Context AS C "
                                                 "LEFT JOIN Type AS T ON T.id = C.type_id " +
                                                 where + " ORDER BY C.id"));
    for (size_t i = 0; i < args.size(); ++i) {
      std::visit([&](const auto& v) { q->Bind(static_cast<int>(i + 1), v); }, args[i]);
    }
    std::vector<Context> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      Context c;
      c.id = q->Int(0);
      c.type_id = q->Int(1);
      c.type = q->Text(2);
      c.name = q->Text(3);
      c.create_time_since_epoch = q->Int(4);
      c.last_update_time_since_epoch = q->Int(5);
      out.push_back(std::move(c));
    }
    RETURN_IF_ERROR(ReadProperties(s, kContextTables, &out));
    return out;
  }

  static StatusOr<std::vector<Event>> QueryEvents(MetadataStore& s, const char* column,
                                                  const std::vector<int64_t>& ids) {
    std::vector<Event> out;
    if (ids.empty()) return out;
    ASSIGN_OR_RETURN(StmtPtr q,
                     s.conn_->Prepare(std::string("SELECT id, artifact_id, execution_id, "
                                                  "type, milliseconds_since_epoch FROM "
                                                  "Event WHERE ") +
                                      column + " IN (" + IdList(ids) + ") ORDER BY id"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, q->Step());
      if (!row) break;
      Event e;
      e.id = q->Int(0);
      e.artifact_id = q->Int(1);
      e.execution_id = q->Int(2);
      e.type = static_cast<Event::Type>(q->Int(3));
      e.milliseconds_since_epoch = q->Int(4);
      out.push_back(std::move(e));
    }
    // The paths of kPropertyBatch events per query, in insertion order.
    std::unordered_map<int64_t, Event*> by_id;
    for (Event& e : out) by_id[e.id] = &e;
    for (size_t begin = 0; begin < out.size(); begin += kPropertyBatch) {
      std::vector<int64_t> event_ids;
      for (size_t i = begin; i < std::min(out.size(), begin + kPropertyBatch); ++i) {
        event_ids.push_back(out[i].id);
      }
      ASSIGN_OR_RETURN(StmtPtr p,
                       s.conn_->Prepare("SELECT event_id, is_index_step, step_index, step_key FROM "
                                        "EventPath WHERE event_id IN (" +
                                        IdList(event_ids) + ") ORDER BY event_id, " +
                                        s.conn_->dialect().event_path_insertion_order));
      while (true) {
        ASSIGN_OR_RETURN(bool row, p->Step());
        if (!row) break;
        Event::Step step;
        if (p->Int(1)) {
          step.value = p->Int(2);
        } else {
          step.value = p->Text(3);
        }
        auto it = by_id.find(p->Int(0));
        if (it != by_id.end()) it->second->path.push_back(std::move(step));
      }
    }
    return out;
  }

  // Creates the schema when the database is empty. The emptiness check and
  // the creation are one write transaction, so two processes opening a new
  // store at once create it exactly once (the second waits for the first's
  // write lock, then finds the tables).
  static Status CreateSchemaIfEmpty(MetadataStore& s) {
    // The first read tells an SQLite file from anything else before BEGIN
    // (which would report a non-database as a generic I/O error).
    ASSIGN_OR_RETURN(std::set<std::string> before, s.conn_->ListTables());
    if (!before.empty()) return Status::OK();
    RETURN_IF_ERROR(Begin(s));
    auto fail = [&](Status st) {
      Rollback(s);
      return st;
    };
    auto tables = s.conn_->ListTables();
    if (!tables.ok()) return fail(tables.status());
    if (!tables->empty()) return fail(Status::OK());
    const SqlDialect& dialect = s.conn_->dialect();
    for (const char* sql : dialect.create_tables) {
      if (Status st = s.conn_->Execute(sql); !st.ok()) return fail(st);
    }
    for (const SqlDialect::Index& index : dialect.secondary_indices) {
      if (Status st = s.conn_->Execute(index.create); !st.ok()) return fail(st);
    }
    if (Status st = s.conn_->Execute("INSERT INTO MLMDEnv(schema_version) VALUES(" +
                                     std::to_string(kSchemaVersion) + ")");
        !st.ok()) {
      return fail(st);
    }
    return Commit(s);
  }

  // Schema migration within v10: a store created before edgepipe made all of
  // MLMD's secondary indices (it made 5 of SQLite's 24) gains the missing
  // ones, in one write transaction, the first time it is opened for writing.
  static Status CreateMissingIndices(MetadataStore& s) {
    const SqlDialect& dialect = s.conn_->dialect();
    auto missing = [&](const std::set<std::string>& have) {
      std::vector<const SqlDialect::Index*> out;
      for (const SqlDialect::Index& index : dialect.secondary_indices) {
        if (!have.count(index.name)) out.push_back(&index);
      }
      return out;
    };
    ASSIGN_OR_RETURN(std::set<std::string> have, s.conn_->ListIndices());
    if (missing(have).empty()) return Status::OK();
    RETURN_IF_ERROR(Begin(s));
    auto fail = [&](Status st) {
      Rollback(s);
      return st.WithContext("creating MLMD's secondary indices");
    };
    auto now = s.conn_->ListIndices();  // another process may have created them meanwhile
    if (!now.ok()) return fail(now.status());
    for (const SqlDialect::Index* index : missing(*now)) {
      if (Status st = s.conn_->Execute(index->create); !st.ok()) return fail(st);
    }
    return Commit(s);
  }

  // Checks an existing database; creates the schema in an empty one.
  static Status InitSchema(MetadataStore& s, const Options& options) {
    const bool postgres = IsPostgresUri(s.path_);
    if (!options.read_only && (options.create_if_missing || !postgres)) {
      RETURN_IF_ERROR(CreateSchemaIfEmpty(s));
    }
    ASSIGN_OR_RETURN(std::set<std::string> tables, s.conn_->ListTables());
    if (tables.empty()) {
      // A server database always exists; without create_if_missing, an empty
      // one is a store that does not exist yet.
      if (postgres) return Status::NotFound("no ML Metadata store in this database");
      return Status::FailedPrecondition("empty database, not an ML Metadata store");
    }
    if (!tables.count("mlmdenv")) {
      std::string list;
      for (const auto& t : tables) list += (list.empty() ? "" : ", ") + t;
      return Status::FailedPrecondition(
          "not an ML Metadata database (no MLMDEnv table; tables: " + list + ")");
    }
    int64_t version;
    {
      // Scoped: a stepped SQLite statement holds a read transaction while it
      // lives, and the journal mode cannot change inside one.
      ASSIGN_OR_RETURN(StmtPtr v, s.conn_->Prepare("SELECT schema_version FROM MLMDEnv"));
      ASSIGN_OR_RETURN(bool row, v->Step());
      if (!row) return Status::Corruption("MLMDEnv has no schema_version row");
      version = v->Int(0);
    }
    if (version != kSchemaVersion) {
      return Status::FailedPrecondition("MLMD schema version " + std::to_string(version) +
                                        ", expected " + std::to_string(kSchemaVersion) +
                                        " (edgepipe does not migrate stores)");
    }
    for (const char* t : kRequiredTables) {
      std::string lower = t;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!tables.count(lower)) {
        return Status::Corruption(std::string("MLMD schema version 10 but table ") + t +
                                  " is missing");
      }
    }
    if (!options.read_only) {
      RETURN_IF_ERROR(CreateMissingIndices(s));
      RETURN_IF_ERROR(s.conn_->ConfigureForWriting());
    }
    return Status::OK();
  }
};

StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& location,
                                                             const Options& options) {
  if (location.empty()) return Status::InvalidArgument("metadata store path is empty");
  std::unique_ptr<SqlConnection> conn;
  if (IsPostgresUri(location)) {
    auto opened = OpenPostgresConnection(location, {.read_only = options.read_only});
    if (!opened.ok()) return opened.status().WithContext(RedactPostgresUri(location));
    conn = std::move(opened).value();
  } else {
    bool exists = PathExists(location);
    if (!exists && (!options.create_if_missing || options.read_only)) {
      return Status::NotFound(location + ": metadata store does not exist");
    }
    if (exists && IsDirectory(location)) {
      return Status::InvalidArgument(location + ": is a directory, expected an SQLite file");
    }
    auto opened = OpenSqliteConnection(location, /*create=*/true, {.read_only = options.read_only});
    if (!opened.ok()) return opened.status().WithContext(location);
    conn = std::move(opened).value();
  }
  std::unique_ptr<MetadataStore> store(new MetadataStore(std::move(conn)));
  std::lock_guard<std::mutex> lock(store->mu_);
  RETURN_IF_ERROR(Impl::InitSchema(*store, options).WithContext(store->path_));
  return store;
}

MetadataStore::MetadataStore(std::unique_ptr<SqlConnection> conn)
    : path_(conn->location()), conn_(std::move(conn)) {}

MetadataStore::~MetadataStore() = default;

bool MetadataStore::is_server() const { return IsPostgresUri(path_); }

Status MetadataStore::HoldRunLock(bool wait,
                                  const std::function<void(const std::string& holder)>& on_wait) {
  std::lock_guard<std::mutex> lock(mu_);
  const SqlDialect& dialect = conn_->dialect();
  if (dialect.try_run_lock == nullptr) {
    return Status::FailedPrecondition(path_ + ": an SQLite store is locked with a file beside it");
  }
  auto run = [&]() -> StatusOr<bool> {
    ASSIGN_OR_RETURN(StmtPtr q, conn_->Prepare(dialect.try_run_lock));
    ASSIGN_OR_RETURN(bool row, q->Step());
    if (!row) return Status::Internal(std::string("no row from ") + dialect.try_run_lock);
    if (q->Int(0)) return true;
    ASSIGN_OR_RETURN(StmtPtr h, conn_->Prepare(dialect.run_lock_holder));
    ASSIGN_OR_RETURN(bool held, h->Step());
    std::string holder = held ? h->Text(0) : std::string("another run");
    if (!wait) {
      return Status::FailedPrecondition("metadata store is held by another run (" + holder + ")");
    }
    if (on_wait) on_wait(holder);
    ASSIGN_OR_RETURN(StmtPtr w, conn_->Prepare(dialect.wait_run_lock));
    RETURN_IF_ERROR(w->Run());
    return true;
  };
  return run().status().WithContext(path_);
}

namespace {
template <typename T>
TypeRecord ToRecord(const T& t) {
  return TypeRecord{t.id, t.name, t.properties};
}
template <typename T>
T FromRecord(const TypeRecord& r) {
  T t;
  t.id = r.id;
  t.name = r.name;
  t.properties = r.properties;
  return t;
}
}  // namespace

#define EP_TYPE_API(T, kind, what)                                                        \
  StatusOr<int64_t> MetadataStore::Put##T(const T& type) {                                \
    std::lock_guard<std::mutex> lock(mu_);                                                \
    return Impl::InTransaction<int64_t>(                                                  \
        *this, [&] { return Impl::PutType(*this, ToRecord(type), kind); });               \
  }                                                                                       \
  StatusOr<T> MetadataStore::Get##T(const std::string& name) {                            \
    std::lock_guard<std::mutex> lock(mu_);                                                \
    auto r = Impl::FindType(*this, name, kind);                                           \
    if (!r.ok()) return r.status().WithContext(path_);                                    \
    if (!r->has_value()) {                                                                \
      return Status::NotFound(path_ + ": " + what + " type " + name + " does not exist"); \
    }                                                                                     \
    return FromRecord<T>(**r);                                                            \
  }

EP_TYPE_API(ArtifactType, kArtifactKind, "artifact")
EP_TYPE_API(ExecutionType, kExecutionKind, "execution")
EP_TYPE_API(ContextType, kContextKind, "context")
#undef EP_TYPE_API

StatusOr<std::vector<int64_t>> MetadataStore::PutArtifacts(const std::vector<Artifact>& artifacts) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<std::vector<int64_t>>(*this, [&]() -> StatusOr<std::vector<int64_t>> {
    std::vector<int64_t> ids;
    for (const Artifact& a : artifacts) {
      ASSIGN_OR_RETURN(int64_t id, Impl::PutArtifactLocked(*this, a));
      ids.push_back(id);
    }
    return ids;
  });
}

StatusOr<int64_t> MetadataStore::PutArtifact(const Artifact& artifact) {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, PutArtifacts({artifact}));
  return ids[0];
}

StatusOr<int64_t> MetadataStore::PutExecution(const Execution& execution) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<int64_t>(*this,
                                      [&] { return Impl::PutExecutionLocked(*this, execution); });
}

StatusOr<std::vector<int64_t>> MetadataStore::PutContexts(const std::vector<Context>& contexts) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<std::vector<int64_t>>(*this, [&]() -> StatusOr<std::vector<int64_t>> {
    std::vector<int64_t> ids;
    for (const Context& c : contexts) {
      ASSIGN_OR_RETURN(int64_t id, Impl::PutContextLocked(*this, c, /*reuse_existing=*/false));
      ids.push_back(id);
    }
    return ids;
  });
}

StatusOr<int64_t> MetadataStore::PutContext(const Context& context) {
  ASSIGN_OR_RETURN(std::vector<int64_t> ids, PutContexts({context}));
  return ids[0];
}

Status MetadataStore::PutEvents(const std::vector<Event>& events) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<bool>(*this,
                                   [&]() -> StatusOr<bool> {
                                     for (const Event& e : events) {
                                       RETURN_IF_ERROR(Impl::PutEventLocked(*this, e));
                                     }
                                     return true;
                                   })
      .status();
}

Status MetadataStore::PutAttributionsAndAssociations(const std::vector<Attribution>& attributions,
                                                     const std::vector<Association>& associations) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<bool>(
             *this,
             [&]() -> StatusOr<bool> {
               for (const Attribution& a : attributions) {
                 RETURN_IF_ERROR(Impl::CheckRowExists(*this, "Context", a.context_id, "context"));
                 RETURN_IF_ERROR(
                     Impl::CheckRowExists(*this, "Artifact", a.artifact_id, "artifact"));
                 RETURN_IF_ERROR(Impl::PutLink(*this, "Attribution", "artifact_id", a.context_id,
                                               a.artifact_id));
               }
               for (const Association& a : associations) {
                 RETURN_IF_ERROR(Impl::CheckRowExists(*this, "Context", a.context_id, "context"));
                 RETURN_IF_ERROR(
                     Impl::CheckRowExists(*this, "Execution", a.execution_id, "execution"));
                 RETURN_IF_ERROR(Impl::PutLink(*this, "Association", "execution_id", a.context_id,
                                               a.execution_id));
               }
               return true;
             })
      .status();
}

Status MetadataStore::PutParentContexts(const std::vector<ParentContext>& parent_contexts) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<bool>(
             *this,
             [&]() -> StatusOr<bool> {
               for (const ParentContext& p : parent_contexts) {
                 if (p.child_id == p.parent_id) {
                   return Status::InvalidArgument("context " + std::to_string(p.child_id) +
                                                  " cannot be its own parent");
                 }
                 RETURN_IF_ERROR(Impl::CheckRowExists(*this, "Context", p.child_id, "context"));
                 RETURN_IF_ERROR(Impl::CheckRowExists(*this, "Context", p.parent_id, "context"));
                 ASSIGN_OR_RETURN(StmtPtr ins,
                                  conn_->Prepare("INSERT INTO ParentContext(context_id, "
                                                 "parent_context_id) VALUES(?, ?) "
                                                 "ON CONFLICT DO NOTHING"));
                 ins->Bind(1, p.child_id).Bind(2, p.parent_id);
                 RETURN_IF_ERROR(ins->Run());
               }
               return true;
             })
      .status();
}

StatusOr<PutExecutionResult> MetadataStore::PutExecution(
    const Execution& execution, const std::vector<ArtifactAndEvent>& artifacts,
    const std::vector<Context>& contexts) {
  std::lock_guard<std::mutex> lock(mu_);
  return Impl::InTransaction<PutExecutionResult>(*this, [&]() -> StatusOr<PutExecutionResult> {
    PutExecutionResult r;
    ASSIGN_OR_RETURN(r.execution_id, Impl::PutExecutionLocked(*this, execution));
    for (const ArtifactAndEvent& ae : artifacts) {
      ASSIGN_OR_RETURN(int64_t artifact_id, Impl::PutArtifactLocked(*this, ae.artifact));
      r.artifact_ids.push_back(artifact_id);
      if (ae.event) {
        Event e = *ae.event;
        e.artifact_id = artifact_id;
        e.execution_id = r.execution_id;
        RETURN_IF_ERROR(Impl::PutEventLocked(*this, e));
      }
    }
    for (const Context& c : contexts) {
      ASSIGN_OR_RETURN(int64_t context_id,
                       Impl::PutContextLocked(*this, c, /*reuse_existing=*/true));
      r.context_ids.push_back(context_id);
      RETURN_IF_ERROR(
          Impl::PutLink(*this, "Association", "execution_id", context_id, r.execution_id));
      for (int64_t artifact_id : r.artifact_ids) {
        RETURN_IF_ERROR(
            Impl::PutLink(*this, "Attribution", "artifact_id", context_id, artifact_id));
      }
    }
    return r;
  });
}

// ---- queries ---------------------------------------------------------------

#define EP_LOCKED_QUERY(expr)                                          \
  std::lock_guard<std::mutex> lock(mu_);                               \
  auto ep_result_ = (expr);                                            \
  if (!ep_result_.ok()) return ep_result_.status().WithContext(path_); \
  return ep_result_

StatusOr<std::vector<Artifact>> MetadataStore::GetArtifacts() {
  EP_LOCKED_QUERY(Impl::QueryArtifacts(*this, "", {}));
}
StatusOr<std::vector<Artifact>> MetadataStore::GetArtifactsByID(const std::vector<int64_t>& ids) {
  if (ids.empty()) return std::vector<Artifact>();
  EP_LOCKED_QUERY(Impl::QueryArtifacts(*this, "WHERE A.id IN (" + IdList(ids) + ")", {}));
}
StatusOr<std::vector<Artifact>> MetadataStore::GetArtifactsByType(const std::string& type_name) {
  EP_LOCKED_QUERY(Impl::QueryArtifacts(*this, "WHERE T.name = ? AND T.type_kind = 1", {type_name}));
}
StatusOr<std::vector<Artifact>> MetadataStore::GetArtifactsByURI(const std::string& uri) {
  EP_LOCKED_QUERY(Impl::QueryArtifacts(*this, "WHERE A.uri = ?", {uri}));
}
StatusOr<std::vector<Artifact>> MetadataStore::GetArtifactsByContext(int64_t context_id) {
  EP_LOCKED_QUERY(Impl::QueryArtifacts(
      *this, "WHERE A.id IN (SELECT artifact_id FROM Attribution WHERE context_id = ?)",
      {context_id}));
}
StatusOr<std::vector<Execution>> MetadataStore::GetExecutions() {
  EP_LOCKED_QUERY(Impl::QueryExecutions(*this, "", {}));
}
StatusOr<std::vector<Execution>> MetadataStore::GetExecutionsByID(const std::vector<int64_t>& ids) {
  if (ids.empty()) return std::vector<Execution>();
  EP_LOCKED_QUERY(Impl::QueryExecutions(*this, "WHERE E.id IN (" + IdList(ids) + ")", {}));
}
StatusOr<std::vector<Execution>> MetadataStore::GetExecutionsByType(const std::string& type_name) {
  EP_LOCKED_QUERY(
      Impl::QueryExecutions(*this, "WHERE T.name = ? AND T.type_kind = 0", {type_name}));
}
StatusOr<std::vector<Execution>> MetadataStore::GetExecutionsByState(Execution::State state) {
  EP_LOCKED_QUERY(
      Impl::QueryExecutions(*this, "WHERE E.last_known_state = ?", {static_cast<int64_t>(state)}));
}
StatusOr<std::vector<Execution>> MetadataStore::GetExecutionsByContext(int64_t context_id) {
  EP_LOCKED_QUERY(Impl::QueryExecutions(
      *this, "WHERE E.id IN (SELECT execution_id FROM Association WHERE context_id = ?)",
      {context_id}));
}
StatusOr<std::vector<Execution>> MetadataStore::GetExecutionsByContextStateAndCustomProperty(
    int64_t context_id, Execution::State state, const std::string& name, const std::string& value) {
  // The property is looked up through its primary key (execution_id, name,
  // is_custom_property) for each execution of the context.
  EP_LOCKED_QUERY(Impl::QueryExecutions(
      *this,
      "WHERE E.id IN (SELECT A.execution_id FROM Association AS A JOIN ExecutionProperty AS P "
      "ON P.execution_id = A.execution_id AND P.name = ? AND P.is_custom_property = TRUE "
      "WHERE A.context_id = ? AND P.string_value = ?) AND E.last_known_state = ?",
      {name, context_id, value, static_cast<int64_t>(state)}));
}
StatusOr<std::vector<Context>> MetadataStore::GetContexts() {
  EP_LOCKED_QUERY(Impl::QueryContexts(*this, "", {}));
}
StatusOr<std::vector<Context>> MetadataStore::GetContextsByID(const std::vector<int64_t>& ids) {
  if (ids.empty()) return std::vector<Context>();
  EP_LOCKED_QUERY(Impl::QueryContexts(*this, "WHERE C.id IN (" + IdList(ids) + ")", {}));
}
StatusOr<std::vector<Context>> MetadataStore::GetContextsByType(const std::string& type_name) {
  EP_LOCKED_QUERY(Impl::QueryContexts(*this, "WHERE T.name = ? AND T.type_kind = 2", {type_name}));
}
StatusOr<std::optional<Context>> MetadataStore::GetContextByTypeAndName(
    const std::string& type_name, const std::string& context_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = Impl::QueryContexts(*this, "WHERE T.name = ? AND T.type_kind = 2 AND C.name = ?",
                               {type_name, context_name});
  if (!r.ok()) return r.status().WithContext(path_);
  if (r->empty()) return std::optional<Context>();
  return std::optional<Context>(std::move(r->front()));
}
StatusOr<std::vector<Context>> MetadataStore::GetContextsByArtifact(int64_t artifact_id) {
  EP_LOCKED_QUERY(Impl::QueryContexts(
      *this, "WHERE C.id IN (SELECT context_id FROM Attribution WHERE artifact_id = ?)",
      {artifact_id}));
}
StatusOr<std::vector<Context>> MetadataStore::GetContextsByExecution(int64_t execution_id) {
  EP_LOCKED_QUERY(Impl::QueryContexts(
      *this, "WHERE C.id IN (SELECT context_id FROM Association WHERE execution_id = ?)",
      {execution_id}));
}
StatusOr<std::vector<Context>> MetadataStore::GetParentContextsByContext(int64_t context_id) {
  EP_LOCKED_QUERY(Impl::QueryContexts(
      *this, "WHERE C.id IN (SELECT parent_context_id FROM ParentContext WHERE context_id = ?)",
      {context_id}));
}
StatusOr<std::vector<Context>> MetadataStore::GetChildrenContextsByContext(int64_t context_id) {
  EP_LOCKED_QUERY(Impl::QueryContexts(
      *this, "WHERE C.id IN (SELECT context_id FROM ParentContext WHERE parent_context_id = ?)",
      {context_id}));
}
StatusOr<std::vector<Event>> MetadataStore::GetEventsByExecutionIDs(
    const std::vector<int64_t>& ids) {
  EP_LOCKED_QUERY(Impl::QueryEvents(*this, "execution_id", ids));
}
StatusOr<std::vector<Event>> MetadataStore::GetEventsByArtifactIDs(
    const std::vector<int64_t>& ids) {
  EP_LOCKED_QUERY(Impl::QueryEvents(*this, "artifact_id", ids));
}
#undef EP_LOCKED_QUERY

const char* ArtifactStateName(Artifact::State state) {
  switch (state) {
    case Artifact::State::kPending:
      return "PENDING";
    case Artifact::State::kLive:
      return "LIVE";
    case Artifact::State::kMarkedForDeletion:
      return "MARKED_FOR_DELETION";
    case Artifact::State::kDeleted:
      return "DELETED";
    case Artifact::State::kAbandoned:
      return "ABANDONED";
    case Artifact::State::kReference:
      return "REFERENCE";
    default:
      return "UNKNOWN";
  }
}

const char* ExecutionStateName(Execution::State state) {
  switch (state) {
    case Execution::State::kNew:
      return "NEW";
    case Execution::State::kRunning:
      return "RUNNING";
    case Execution::State::kComplete:
      return "COMPLETE";
    case Execution::State::kFailed:
      return "FAILED";
    case Execution::State::kCached:
      return "CACHED";
    case Execution::State::kCanceled:
      return "CANCELED";
    default:
      return "UNKNOWN";
  }
}

const char* EventTypeName(Event::Type type) {
  switch (type) {
    case Event::Type::kDeclaredOutput:
      return "DECLARED_OUTPUT";
    case Event::Type::kDeclaredInput:
      return "DECLARED_INPUT";
    case Event::Type::kInput:
      return "INPUT";
    case Event::Type::kOutput:
      return "OUTPUT";
    case Event::Type::kInternalInput:
      return "INTERNAL_INPUT";
    case Event::Type::kInternalOutput:
      return "INTERNAL_OUTPUT";
    default:
      return "UNKNOWN";
  }
}

}  // namespace edgepipe::metadata
