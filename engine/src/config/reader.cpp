#include "reader.hpp"

#include "proffer/config/config.hpp"

namespace proffer::config {

std::string ConfigError::format(const std::string& key, int line, const std::string& message) {
  std::string out = "config: ";
  if (line > 0) out += "line " + std::to_string(line) + ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  return out + message;
}

TableReader::TableReader(const toml::table& table, std::string path)
    : table_(table), path_(std::move(path)), table_line_(int(table.source().begin.line)) {}

std::string TableReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

int TableReader::line_of(std::string_view key) const {
  const toml::node* n = table_.get(key);
  return n ? int(n->source().begin.line) : table_line_;
}

void TableReader::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(key_path(key), line_of(key), message);
}

void TableReader::wrong_type(std::string_view key, std::string_view expected) const {
  const toml::node* n = table_.get(key);
  std::string got = n ? std::string(toml::impl::node_type_friendly_names[int(n->type())]) : "none";
  fail(key, "expected " + std::string(expected) + ", got " + got);
}

const toml::node* TableReader::find(std::string_view key) {
  seen_.insert(std::string(key));
  return table_.get(key);
}

void TableReader::read(std::string_view key, bool& out) {
  const toml::node* n = find(key);
  if (!n) return;
  if (!n->is_boolean()) wrong_type(key, "a boolean");
  out = n->as_boolean()->get();
}

void TableReader::read(std::string_view key, int& out, long long min, long long max) {
  const toml::node* n = find(key);
  if (!n) return;
  if (!n->is_integer()) wrong_type(key, "an integer");
  long long v = n->as_integer()->get();
  if (v < min || v > max) {
    fail(key, "value " + std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                  std::to_string(max) + "]");
  }
  out = int(v);
}

void TableReader::read(std::string_view key, std::string& out) {
  const toml::node* n = find(key);
  if (!n) return;
  if (!n->is_string()) wrong_type(key, "a string");
  out = n->as_string()->get();
}

void TableReader::read_enum(std::string_view key, std::string& out,
                            std::initializer_list<std::string_view> allowed) {
  std::string v = out;
  read(key, v);
  for (auto a : allowed) {
    if (a == v) {
      out = v;
      return;
    }
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail(key, "'" + v + "' is not one of: " + list);
}

void TableReader::read(std::string_view key, std::vector<std::string>& out) {
  const toml::node* n = find(key);
  if (!n) return;
  if (!n->is_array()) wrong_type(key, "an array of strings");
  std::vector<std::string> values;
  for (const auto& item : *n->as_array()) {
    if (!item.is_string()) wrong_type(key, "an array of strings");
    values.push_back(item.as_string()->get());
  }
  out = std::move(values);
}

void TableReader::read(std::string_view key, std::map<std::string, std::string>& out) {
  const toml::node* n = find(key);
  if (!n) return;
  if (!n->is_table()) wrong_type(key, "a table of strings");
  for (const auto& [k, v] : *n->as_table()) {
    if (!v.is_string()) fail(key, "value of '" + std::string(k.str()) + "' must be a string");
    out[std::string(k.str())] = v.as_string()->get();
  }
}

const toml::table* TableReader::table(std::string_view key) {
  const toml::node* n = find(key);
  if (!n) return nullptr;
  if (!n->is_table()) wrong_type(key, "a table");
  return n->as_table();
}

const toml::array* TableReader::array_of_tables(std::string_view key) {
  const toml::node* n = find(key);
  if (!n) return nullptr;
  if (!n->is_array_of_tables() && !(n->is_array() && n->as_array()->empty()))
    wrong_type(key, "an array of tables ([[" + key_path(key) + "]])");
  return n->as_array();
}

void TableReader::finish() const {
  for (const auto& [k, v] : table_) {
    if (!seen_.contains(k.str())) {
      throw ConfigError(key_path(k.str()), int(v.source().begin.line), "unknown key");
    }
  }
}

}  // namespace proffer::config
