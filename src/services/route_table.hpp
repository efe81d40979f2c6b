// The ONE table the Cage authorises by: every route of every listener, public or the roles that
// may call it. A route that is not here is closed (the Cage answers 403), and a test checks that
// every route a listener serves is here, so adding a route means deciding who may call it.
#pragma once

#include "api/cage/cage.hpp"

namespace metanode::services {

api::cage::RouteTable route_table();

}  // namespace metanode::services
