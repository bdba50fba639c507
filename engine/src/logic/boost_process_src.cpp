// Boost.Process v2 in Boost 1.81 compiles its out-of-line parts in exactly one translation unit.
#include <boost/process/v2/src.hpp>
