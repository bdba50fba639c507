#pragma once
// Human-readable output of profferctl (the --json form prints the API's JSON unchanged).
#include <boost/json/value.hpp>
#include <string_view>

namespace profferctl {

void print_human(std::string_view command, const boost::json::value& result);

}  // namespace profferctl
