#pragma once
// The Proffer call-logic SDK in one include. See plugins/examples/skeleton for the smallest
// program and docs/protocol/call-logic.md for the messages underneath.
#include "proffer/sdk/app.hpp"
#include "proffer/sdk/call.hpp"
#include "proffer/sdk/errors.hpp"
#include "proffer/sdk/plugin_transport.hpp"
#include "proffer/sdk/task.hpp"
#include "proffer/sdk/transport.hpp"
#include "proffer/sdk/zmq_transport.hpp"
