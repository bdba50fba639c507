#pragma once
// Typed, validating access to one TOML table: every key read is remembered, so that finish()
// can report the keys nobody asked for (typos) with their line.
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace proffer::config {

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path);

  void read(std::string_view key, bool& out);
  void read(std::string_view key, int& out, long long min, long long max);
  void read(std::string_view key, std::string& out);
  void read_enum(std::string_view key, std::string& out,
                 std::initializer_list<std::string_view> allowed);
  void read(std::string_view key, std::vector<std::string>& out);
  void read(std::string_view key, std::map<std::string, std::string>& out);
  // Sub-tables and arrays of tables: nullptr when absent; a ConfigError when of another type.
  const toml::table* table(std::string_view key);
  const toml::array* array_of_tables(std::string_view key);
  // Throws ConfigError for the first key that was never read.
  void finish() const;

  std::string key_path(std::string_view key) const;
  int line_of(std::string_view key) const;
  int line() const { return table_line_; }
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

 private:
  const toml::node* find(std::string_view key);
  [[noreturn]] void wrong_type(std::string_view key, std::string_view expected) const;

  const toml::table& table_;
  std::string path_;
  int table_line_;
  std::set<std::string, std::less<>> seen_;
};

struct SipConfig;
struct WebConfig;
// Section readers living in files of their own.
void read_sip(TableReader& root, SipConfig& sip);
void read_web(TableReader& root, WebConfig& web);
// "host:port" with a port in range; the host is checked by whoever binds it.
void check_host_port(TableReader& r, std::string_view key, const std::string& value,
                     bool allow_port_zero = false);

}  // namespace proffer::config
