// The MLMD v10 DDL of each engine, in one place. Table names, columns, column
// types and index names follow MLMD's query configs for SQLite and PostgreSQL
// (ml_metadata/util/metadata_source_query_config.cc), so a store written here
// is a valid MLMD store for MLMD's own back end. One deliberate difference:
// MLMD declares the property tables' int_value INT, which PostgreSQL makes 32
// bits; here it is BIGINT, because an MLMD int_value is an int64.
#include "src/metadata/sql_connection.h"

namespace edgepipe::metadata {
namespace {

constexpr const char* kSqliteTables[] = {
    "CREATE TABLE IF NOT EXISTS `Type` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `name` VARCHAR(255) NOT NULL, `version` VARCHAR(255), `type_kind` TINYINT(1) NOT NULL,"
    " `description` TEXT, `input_type` TEXT, `output_type` TEXT,"
    " `external_id` VARCHAR(255) UNIQUE)",
    "CREATE TABLE IF NOT EXISTS `ParentType` (`type_id` INT NOT NULL,"
    " `parent_type_id` INT NOT NULL, PRIMARY KEY (`type_id`, `parent_type_id`))",
    "CREATE TABLE IF NOT EXISTS `TypeProperty` (`type_id` INT NOT NULL,"
    " `name` VARCHAR(255) NOT NULL, `data_type` INT NULL, PRIMARY KEY (`type_id`, `name`))",
    "CREATE TABLE IF NOT EXISTS `Artifact` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `type_id` INT NOT NULL, `uri` TEXT, `state` INT, `name` VARCHAR(255),"
    " `external_id` VARCHAR(255) UNIQUE, `create_time_since_epoch` INT NOT NULL DEFAULT 0,"
    " `last_update_time_since_epoch` INT NOT NULL DEFAULT 0, UNIQUE(`type_id`, `name`))",
    "CREATE TABLE IF NOT EXISTS `ArtifactProperty` (`artifact_id` INT NOT NULL,"
    " `name` VARCHAR(255) NOT NULL, `is_custom_property` TINYINT(1) NOT NULL,"
    " `int_value` INT, `double_value` DOUBLE, `string_value` TEXT, `byte_value` BLOB,"
    " `proto_value` BLOB, `bool_value` BOOLEAN,"
    " PRIMARY KEY (`artifact_id`, `name`, `is_custom_property`))",
    "CREATE TABLE IF NOT EXISTS `Execution` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `type_id` INT NOT NULL, `last_known_state` INT, `name` VARCHAR(255),"
    " `external_id` VARCHAR(255) UNIQUE, `create_time_since_epoch` INT NOT NULL DEFAULT 0,"
    " `last_update_time_since_epoch` INT NOT NULL DEFAULT 0, UNIQUE(`type_id`, `name`))",
    "CREATE TABLE IF NOT EXISTS `ExecutionProperty` (`execution_id` INT NOT NULL,"
    " `name` VARCHAR(255) NOT NULL, `is_custom_property` TINYINT(1) NOT NULL,"
    " `int_value` INT, `double_value` DOUBLE, `string_value` TEXT, `byte_value` BLOB,"
    " `proto_value` BLOB, `bool_value` BOOLEAN,"
    " PRIMARY KEY (`execution_id`, `name`, `is_custom_property`))",
    "CREATE TABLE IF NOT EXISTS `Context` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `type_id` INT NOT NULL, `name` VARCHAR(255) NOT NULL, `external_id` VARCHAR(255) UNIQUE,"
    " `create_time_since_epoch` INT NOT NULL DEFAULT 0,"
    " `last_update_time_since_epoch` INT NOT NULL DEFAULT 0, UNIQUE(`type_id`, `name`))",
    "CREATE TABLE IF NOT EXISTS `ContextProperty` (`context_id` INT NOT NULL,"
    " `name` VARCHAR(255) NOT NULL, `is_custom_property` TINYINT(1) NOT NULL,"
    " `int_value` INT, `double_value` DOUBLE, `string_value` TEXT, `byte_value` BLOB,"
    " `proto_value` BLOB, `bool_value` BOOLEAN,"
    " PRIMARY KEY (`context_id`, `name`, `is_custom_property`))",
    "CREATE TABLE IF NOT EXISTS `ParentContext` (`context_id` INT NOT NULL,"
    " `parent_context_id` INT NOT NULL, PRIMARY KEY (`context_id`, `parent_context_id`))",
    "CREATE TABLE IF NOT EXISTS `Event` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `artifact_id` INT NOT NULL, `execution_id` INT NOT NULL, `type` INT NOT NULL,"
    " `milliseconds_since_epoch` INT, UNIQUE(`artifact_id`, `execution_id`, `type`))",
    "CREATE TABLE IF NOT EXISTS `EventPath` (`event_id` INT NOT NULL,"
    " `is_index_step` TINYINT(1) NOT NULL, `step_index` INT, `step_key` TEXT)",
    "CREATE TABLE IF NOT EXISTS `Association` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `context_id` INT NOT NULL, `execution_id` INT NOT NULL,"
    " UNIQUE(`context_id`, `execution_id`))",
    "CREATE TABLE IF NOT EXISTS `Attribution` (`id` INTEGER PRIMARY KEY AUTOINCREMENT,"
    " `context_id` INT NOT NULL, `artifact_id` INT NOT NULL,"
    " UNIQUE(`context_id`, `artifact_id`))",
    "CREATE TABLE IF NOT EXISTS `MLMDEnv` (`schema_version` INTEGER PRIMARY KEY)",
};

// MLMD's 24 SQLite secondary indices. The property indices are partial (only
// rows that hold a value of that kind), as upstream.
constexpr SqlDialect::Index kSqliteIndices[] = {
    {"idx_artifact_uri", "CREATE INDEX IF NOT EXISTS `idx_artifact_uri` ON `Artifact`(`uri`)"},
    {"idx_artifact_create_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS `idx_artifact_create_time_since_epoch`"
     " ON `Artifact`(`create_time_since_epoch`)"},
    {"idx_artifact_last_update_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS `idx_artifact_last_update_time_since_epoch`"
     " ON `Artifact`(`last_update_time_since_epoch`)"},
    {"idx_event_execution_id",
     "CREATE INDEX IF NOT EXISTS `idx_event_execution_id` ON `Event`(`execution_id`)"},
    {"idx_parentcontext_parent_context_id",
     "CREATE INDEX IF NOT EXISTS `idx_parentcontext_parent_context_id`"
     " ON `ParentContext`(`parent_context_id`)"},
    {"idx_type_name", "CREATE INDEX IF NOT EXISTS `idx_type_name` ON `Type`(`name`)"},
    {"idx_execution_create_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS `idx_execution_create_time_since_epoch`"
     " ON `Execution`(`create_time_since_epoch`)"},
    {"idx_execution_last_update_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS `idx_execution_last_update_time_since_epoch`"
     " ON `Execution`(`last_update_time_since_epoch`)"},
    {"idx_context_create_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS `idx_context_create_time_since_epoch`"
     " ON `Context`(`create_time_since_epoch`)"},
    {"idx_context_last_update_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS `idx_context_last_update_time_since_epoch`"
     " ON `Context`(`last_update_time_since_epoch`)"},
    {"idx_eventpath_event_id",
     "CREATE INDEX IF NOT EXISTS `idx_eventpath_event_id` ON `EventPath`(`event_id`)"},
    {"idx_artifact_property_int",
     "CREATE INDEX IF NOT EXISTS `idx_artifact_property_int` ON `ArtifactProperty`"
     "(`name`, `is_custom_property`, `int_value`) WHERE `int_value` IS NOT NULL"},
    {"idx_artifact_property_double",
     "CREATE INDEX IF NOT EXISTS `idx_artifact_property_double` ON `ArtifactProperty`"
     "(`name`, `is_custom_property`, `double_value`) WHERE `double_value` IS NOT NULL"},
    {"idx_artifact_property_string",
     "CREATE INDEX IF NOT EXISTS `idx_artifact_property_string` ON `ArtifactProperty`"
     "(`name`, `is_custom_property`, `string_value`) WHERE `string_value` IS NOT NULL"},
    {"idx_execution_property_int",
     "CREATE INDEX IF NOT EXISTS `idx_execution_property_int` ON `ExecutionProperty`"
     "(`name`, `is_custom_property`, `int_value`) WHERE `int_value` IS NOT NULL"},
    {"idx_execution_property_double",
     "CREATE INDEX IF NOT EXISTS `idx_execution_property_double` ON `ExecutionProperty`"
     "(`name`, `is_custom_property`, `double_value`) WHERE `double_value` IS NOT NULL"},
    {"idx_execution_property_string",
     "CREATE INDEX IF NOT EXISTS `idx_execution_property_string` ON `ExecutionProperty`"
     "(`name`, `is_custom_property`, `string_value`) WHERE `string_value` IS NOT NULL"},
    {"idx_context_property_int",
     "CREATE INDEX IF NOT EXISTS `idx_context_property_int` ON `ContextProperty`"
     "(`name`, `is_custom_property`, `int_value`) WHERE `int_value` IS NOT NULL"},
    {"idx_context_property_double",
     "CREATE INDEX IF NOT EXISTS `idx_context_property_double` ON `ContextProperty`"
     "(`name`, `is_custom_property`, `double_value`) WHERE `double_value` IS NOT NULL"},
    {"idx_context_property_string",
     "CREATE INDEX IF NOT EXISTS `idx_context_property_string` ON `ContextProperty`"
     "(`name`, `is_custom_property`, `string_value`) WHERE `string_value` IS NOT NULL"},
    {"idx_type_external_id",
     "CREATE INDEX IF NOT EXISTS `idx_type_external_id` ON `Type`(`external_id`)"},
    {"idx_artifact_external_id",
     "CREATE INDEX IF NOT EXISTS `idx_artifact_external_id` ON `Artifact`(`external_id`)"},
    {"idx_execution_external_id",
     "CREATE INDEX IF NOT EXISTS `idx_execution_external_id` ON `Execution`(`external_id`)"},
    {"idx_context_external_id",
     "CREATE INDEX IF NOT EXISTS `idx_context_external_id` ON `Context`(`external_id`)"},
};

// MLMD's PostgreSQL DDL: unquoted names (they fold to lower case), SERIAL ids,
// BOOLEAN flags, BIGINT times.
constexpr const char* kPostgresTables[] = {
    "CREATE TABLE IF NOT EXISTS Type (id SERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
    " version VARCHAR(255), type_kind SMALLINT NOT NULL, description TEXT, input_type TEXT,"
    " output_type TEXT, external_id VARCHAR(255) UNIQUE)",
    "CREATE TABLE IF NOT EXISTS ParentType (type_id INT NOT NULL, parent_type_id INT NOT NULL,"
    " PRIMARY KEY (type_id, parent_type_id))",
    "CREATE TABLE IF NOT EXISTS TypeProperty (type_id INT NOT NULL, name VARCHAR(255) NOT NULL,"
    " data_type INT NULL, PRIMARY KEY (type_id, name))",
    "CREATE TABLE IF NOT EXISTS Artifact (id SERIAL PRIMARY KEY, type_id INT NOT NULL, uri TEXT,"
    " state INT, name VARCHAR(255), external_id VARCHAR(255) UNIQUE,"
    " create_time_since_epoch BIGINT NOT NULL DEFAULT 0,"
    " last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0,"
    " CONSTRAINT UniqueArtifactTypeName UNIQUE(type_id, name))",
    "CREATE TABLE IF NOT EXISTS ArtifactProperty (artifact_id INT NOT NULL,"
    " name VARCHAR(255) NOT NULL, is_custom_property BOOLEAN NOT NULL, int_value BIGINT,"
    " double_value DOUBLE PRECISION, string_value TEXT, byte_value BYTEA, proto_value BYTEA,"
    " bool_value BOOLEAN, PRIMARY KEY (artifact_id, name, is_custom_property))",
    "CREATE TABLE IF NOT EXISTS Execution (id SERIAL PRIMARY KEY, type_id INT NOT NULL,"
    " last_known_state INT, name VARCHAR(255), external_id VARCHAR(255) UNIQUE,"
    " create_time_since_epoch BIGINT NOT NULL DEFAULT 0,"
    " last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0,"
    " CONSTRAINT UniqueExecutionTypeName UNIQUE(type_id, name))",
    "CREATE TABLE IF NOT EXISTS ExecutionProperty (execution_id INT NOT NULL,"
    " name VARCHAR(255) NOT NULL, is_custom_property BOOLEAN NOT NULL, int_value BIGINT,"
    " double_value DOUBLE PRECISION, string_value TEXT, byte_value BYTEA, proto_value BYTEA,"
    " bool_value BOOLEAN, PRIMARY KEY (execution_id, name, is_custom_property))",
    "CREATE TABLE IF NOT EXISTS Context (id SERIAL PRIMARY KEY, type_id INT NOT NULL,"
    " name VARCHAR(255) NOT NULL, external_id VARCHAR(255) UNIQUE,"
    " create_time_since_epoch BIGINT NOT NULL DEFAULT 0,"
    " last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0, UNIQUE(type_id, name))",
    "CREATE TABLE IF NOT EXISTS ContextProperty (context_id INT NOT NULL,"
    " name VARCHAR(255) NOT NULL, is_custom_property BOOLEAN NOT NULL, int_value BIGINT,"
    " double_value DOUBLE PRECISION, string_value TEXT, byte_value BYTEA, proto_value BYTEA,"
    " bool_value BOOLEAN, PRIMARY KEY (context_id, name, is_custom_property))",
    "CREATE TABLE IF NOT EXISTS ParentContext (context_id INT NOT NULL,"
    " parent_context_id INT NOT NULL, PRIMARY KEY (context_id, parent_context_id))",
    "CREATE TABLE IF NOT EXISTS Event (id SERIAL PRIMARY KEY, artifact_id INT NOT NULL,"
    " execution_id INT NOT NULL, type INT NOT NULL, milliseconds_since_epoch BIGINT,"
    " CONSTRAINT UniqueEvent UNIQUE(artifact_id, execution_id, type))",
    "CREATE TABLE IF NOT EXISTS EventPath (event_id INT NOT NULL,"
    " is_index_step BOOLEAN NOT NULL, step_index INT, step_key TEXT)",
    "CREATE TABLE IF NOT EXISTS Association (id SERIAL PRIMARY KEY, context_id INT NOT NULL,"
    " execution_id INT NOT NULL, UNIQUE(context_id, execution_id))",
    "CREATE TABLE IF NOT EXISTS Attribution (id SERIAL PRIMARY KEY, context_id INT NOT NULL,"
    " artifact_id INT NOT NULL, UNIQUE(context_id, artifact_id))",
    "CREATE TABLE IF NOT EXISTS MLMDEnv (schema_version INT PRIMARY KEY)",
};

// MLMD's PostgreSQL secondary indices: the same 24 names; the property
// indices are not partial there.
constexpr SqlDialect::Index kPostgresIndices[] = {
    {"idx_artifact_uri", "CREATE INDEX IF NOT EXISTS idx_artifact_uri ON Artifact (uri)"},
    {"idx_artifact_create_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS idx_artifact_create_time_since_epoch"
     " ON Artifact (create_time_since_epoch)"},
    {"idx_artifact_last_update_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS idx_artifact_last_update_time_since_epoch"
     " ON Artifact (last_update_time_since_epoch)"},
    {"idx_event_execution_id",
     "CREATE INDEX IF NOT EXISTS idx_event_execution_id ON Event (execution_id)"},
    {"idx_parentcontext_parent_context_id",
     "CREATE INDEX IF NOT EXISTS idx_parentcontext_parent_context_id"
     " ON ParentContext (parent_context_id)"},
    {"idx_type_name", "CREATE INDEX IF NOT EXISTS idx_type_name ON Type (name)"},
    {"idx_execution_create_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS idx_execution_create_time_since_epoch"
     " ON Execution (create_time_since_epoch)"},
    {"idx_execution_last_update_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS idx_execution_last_update_time_since_epoch"
     " ON Execution (last_update_time_since_epoch)"},
    {"idx_context_create_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS idx_context_create_time_since_epoch"
     " ON Context (create_time_since_epoch)"},
    {"idx_context_last_update_time_since_epoch",
     "CREATE INDEX IF NOT EXISTS idx_context_last_update_time_since_epoch"
     " ON Context (last_update_time_since_epoch)"},
    {"idx_eventpath_event_id",
     "CREATE INDEX IF NOT EXISTS idx_eventpath_event_id ON EventPath (event_id)"},
    {"idx_artifact_property_int",
     "CREATE INDEX IF NOT EXISTS idx_artifact_property_int"
     " ON ArtifactProperty (name, is_custom_property, int_value)"},
    {"idx_artifact_property_double",
     "CREATE INDEX IF NOT EXISTS idx_artifact_property_double"
     " ON ArtifactProperty (name, is_custom_property, double_value)"},
    {"idx_artifact_property_string",
     "CREATE INDEX IF NOT EXISTS idx_artifact_property_string"
     " ON ArtifactProperty (name, is_custom_property, string_value)"},
    {"idx_execution_property_int",
     "CREATE INDEX IF NOT EXISTS idx_execution_property_int"
     " ON ExecutionProperty (name, is_custom_property, int_value)"},
    {"idx_execution_property_double",
     "CREATE INDEX IF NOT EXISTS idx_execution_property_double"
     " ON ExecutionProperty (name, is_custom_property, double_value)"},
    {"idx_execution_property_string",
     "CREATE INDEX IF NOT EXISTS idx_execution_property_string"
     " ON ExecutionProperty (name, is_custom_property, string_value)"},
    {"idx_context_property_int",
     "CREATE INDEX IF NOT EXISTS idx_context_property_int"
     " ON ContextProperty (name, is_custom_property, int_value)"},
    {"idx_context_property_double",
     "CREATE INDEX IF NOT EXISTS idx_context_property_double"
     " ON ContextProperty (name, is_custom_property, double_value)"},
    {"idx_context_property_string",
     "CREATE INDEX IF NOT EXISTS idx_context_property_string"
     " ON ContextProperty (name, is_custom_property, string_value)"},
    {"idx_type_external_id",
     "CREATE INDEX IF NOT EXISTS idx_type_external_id ON Type(external_id)"},
    {"idx_artifact_external_id",
     "CREATE INDEX IF NOT EXISTS idx_artifact_external_id ON Artifact(external_id)"},
    {"idx_execution_external_id",
     "CREATE INDEX IF NOT EXISTS idx_execution_external_id ON Execution(external_id)"},
    {"idx_context_external_id",
     "CREATE INDEX IF NOT EXISTS idx_context_external_id ON Context(external_id)"},
};

// The run lock's advisory-lock key ("mlmr" in ASCII); write transactions use
// another key (postgres_connection.cc), so a held run lock never blocks them.
#define EP_RUN_LOCK_KEY "1835822450"

}  // namespace

const SqlDialect& SqliteDialect() {
  // rowid: SQLite's implicit, increasing row key.
  static const SqlDialect dialect{"SQLite", kSqliteTables, kSqliteIndices, "rowid",
                                  nullptr,  nullptr,       nullptr};
  return dialect;
}

const SqlDialect& PostgresDialect() {
  // ctid: the row's physical place. EventPath rows are only ever appended,
  // never updated or deleted, and one event's steps are inserted together in
  // one transaction, so they sit in the heap in insertion order. (MLMD itself
  // reads EventPath with no ORDER BY at all.)
  static const SqlDialect dialect{
      "PostgreSQL",
      kPostgresTables,
      kPostgresIndices,
      "ctid",
      "SELECT pg_try_advisory_lock(" EP_RUN_LOCK_KEY ")",
      "SELECT pg_advisory_lock(" EP_RUN_LOCK_KEY ")",
      "SELECT 'pid ' || a.pid || ' from ' || coalesce(host(a.client_addr), 'a local socket') "
      "FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid WHERE l.locktype = "
      "'advisory' AND l.granted AND l.objid = " EP_RUN_LOCK_KEY
      " AND l.database = (SELECT oid "
      "FROM pg_database WHERE datname = current_database())"};
  return dialect;
}

}  // namespace edgepipe::metadata

#undef EP_RUN_LOCK_KEY
