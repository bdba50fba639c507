#pragma once
// The call with one shopper who accepted a voice offer: greet, verify the number if asked, queue
// for an agent with hold music and position announcements, ring agents until one answers, then
// stay until either side hangs up. See README.md for the whole story and the CDR variables.
#include <proffer/sdk/call.hpp>
#include <proffer/sdk/task.hpp>

#include "sales_floor.hpp"

namespace proffer::sales_assist {

sdk::Task<void> sales_assist_call(sdk::Call& call, SalesFloor& floor);

}  // namespace proffer::sales_assist
