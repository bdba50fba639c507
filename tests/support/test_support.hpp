#pragma once
// Helpers shared by the tests: paths into the build tree and the source tree.
#include <string>

namespace proffer::test {

std::string bin_path(const std::string& name);     // build/bin/<name>
std::string source_path(const std::string& rel);   // <source>/<rel>

}  // namespace proffer::test
