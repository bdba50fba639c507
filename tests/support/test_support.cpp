#include "test_support.hpp"

namespace proffer::test {

std::string bin_path(const std::string& name) { return std::string(PROFFER_BIN_DIR) + "/" + name; }
std::string source_path(const std::string& rel) {
  return std::string(PROFFER_SOURCE_DIR) + "/" + rel;
}

}  // namespace proffer::test
