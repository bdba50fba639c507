// Boost.JSON compiled into the fuzzer itself (header-only mode), so that the parser is
// instrumented for coverage and the sanitizers like the rest of the target.
#include <boost/json/src.hpp>
