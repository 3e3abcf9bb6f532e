// Test-only: checks our own .proto files against the facts of the upstream
// schema they reproduce (TFMA's, ONNX's, ...), from a table of rows that
// tools/extract_proto_fields.sh extracts with protoc from the upstream
// repository (the rows' header names the commit). Used by
// src/eval/proto/proto_fields_test.cc and
// src/onnx/proto/onnx_proto_fields_test.cc.
//
// For every message and enum our file declares (nested ones included):
//   - each field exists upstream with the same number, type, label,
//     referenced type and oneof; each enum value with the same number;
//   - each enum has exactly upstream's values;
//   - with `check_upstream_fields`, each upstream field of a message we
//     declare is declared here too, unless `not_declared(scope, name)` says
//     it is deliberately left out. Without it, our messages may be a subset.
// Mismatches are reported as GoogleTest failures (ADD_FAILURE / EXPECT_*)
// naming the field. Header-only; the table must outlive the checker.
#ifndef EDGEPIPE_TESTS_SUPPORT_PROTO_FIELDS_H_
#define EDGEPIPE_TESTS_SUPPORT_PROTO_FIELDS_H_

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>

namespace edgepipe::testing {

// One row of an upstream_fields.inc table.
struct UpstreamProtoRow {
  const char* scope;     // full message or enum name
  const char* name;      // field or enum value
  int number;            //
  const char* type;      // "TYPE_DOUBLE", ..., or "ENUM_VALUE"
  const char* label;     // "LABEL_OPTIONAL", ..., or "" for enum values
  const char* type_ref;  // referenced message / enum, "" for scalars
  const char* oneof;     // containing oneof, "" when none
};

class ProtoFieldsChecker {
 public:
  using NotDeclared = std::function<bool(const std::string& scope, const std::string& name)>;

  // `upstream` names the upstream in failure messages ("TFMA", "ONNX").
  ProtoFieldsChecker(std::span<const UpstreamProtoRow> rows, std::string upstream,
                     bool check_upstream_fields, NotDeclared not_declared = {})
      : rows_(rows),
        upstream_(std::move(upstream)),
        check_upstream_fields_(check_upstream_fields),
        not_declared_(std::move(not_declared)) {
    for (const UpstreamProtoRow& row : rows_) index_[{row.scope, row.name}] = &row;
  }

  // The upstream row of (scope, name); nullptr when there is none.
  const UpstreamProtoRow* Find(const std::string& scope, const std::string& name) const {
    auto it = index_.find({scope, name});
    return it == index_.end() ? nullptr : it->second;
  }

  // Checks every message and enum of `file`; returns the number of fields and
  // enum values checked.
  int CheckFile(const google::protobuf::FileDescriptor& file) const {
    int checked = 0;
    for (int i = 0; i < file.message_type_count(); ++i)
      checked += CheckMessage(*file.message_type(i));
    for (int i = 0; i < file.enum_type_count(); ++i) checked += CheckEnum(*file.enum_type(i));
    return checked;
  }

 private:
  static std::string Upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
  }
  static const char* LabelName(const google::protobuf::FieldDescriptor& f) {
    if (f.is_repeated()) return "LABEL_REPEATED";
    if (f.is_required()) return "LABEL_REQUIRED";
    return "LABEL_OPTIONAL";
  }

  int CheckEnum(const google::protobuf::EnumDescriptor& e) const {
    for (int i = 0; i < e.value_count(); ++i) {
      const google::protobuf::EnumValueDescriptor& v = *e.value(i);
      const UpstreamProtoRow* row = Find(e.full_name(), v.name());
      if (row == nullptr) {
        ADD_FAILURE() << e.full_name() << "." << v.name() << ": not a " << upstream_
                      << " enum value";
        continue;
      }
      EXPECT_EQ(v.number(), row->number) << e.full_name() << "." << v.name();
    }
    const auto upstream = std::count_if(rows_.begin(), rows_.end(), [&](const UpstreamProtoRow& r) {
      return e.full_name() == r.scope;
    });
    EXPECT_EQ(e.value_count(), upstream)
        << e.full_name() << ": " << upstream_ << " has " << upstream << " values";
    return e.value_count();
  }

  int CheckMessage(const google::protobuf::Descriptor& m) const {
    int checked = 0;
    for (int i = 0; i < m.field_count(); ++i) {
      const google::protobuf::FieldDescriptor& f = *m.field(i);
      const std::string where = m.full_name() + "." + f.name();
      const UpstreamProtoRow* row = Find(m.full_name(), f.name());
      if (row == nullptr) {
        ADD_FAILURE() << where << ": not a " << upstream_ << " field";
        continue;
      }
      EXPECT_EQ(f.number(), row->number) << where;
      EXPECT_EQ("TYPE_" + Upper(f.type_name()), row->type) << where;
      EXPECT_STREQ(LabelName(f), row->label) << where;
      const std::string ref = f.message_type() != nullptr ? f.message_type()->full_name()
                              : f.enum_type() != nullptr  ? f.enum_type()->full_name()
                                                          : "";
      EXPECT_EQ(ref, row->type_ref) << where;
      const google::protobuf::OneofDescriptor* oneof = f.real_containing_oneof();
      EXPECT_EQ(oneof != nullptr ? oneof->name() : "", row->oneof) << where;
      ++checked;
    }
    if (check_upstream_fields_) {
      for (const UpstreamProtoRow& row : rows_) {
        if (m.full_name() != row.scope || m.FindFieldByName(row.name) != nullptr) continue;
        if (not_declared_ && not_declared_(row.scope, row.name)) continue;
        ADD_FAILURE() << m.full_name() << "." << row.name << " = " << row.number << ": "
                      << upstream_ << " field not declared here";
      }
    }
    for (int i = 0; i < m.nested_type_count(); ++i) checked += CheckMessage(*m.nested_type(i));
    for (int i = 0; i < m.enum_type_count(); ++i) checked += CheckEnum(*m.enum_type(i));
    return checked;
  }

  std::span<const UpstreamProtoRow> rows_;  // not owned; outlives the checker
  std::string upstream_;
  bool check_upstream_fields_;
  NotDeclared not_declared_;
  std::map<std::pair<std::string, std::string>, const UpstreamProtoRow*> index_;
};

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_PROTO_FIELDS_H_
