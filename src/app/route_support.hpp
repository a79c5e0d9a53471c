#pragma once
// What the route files of app/ (auth, orders, locks, docs, web apps) share:
// the few names every handler is written with, and binding a handler to the
// services it calls. Internal to app/: no other layer includes it.

#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

namespace bakewind::app {

namespace asio = boost::asio;
using http::method;
using http::request;
using http::response;

/// A route handler that calls `handle(req, services...)`. The services are
/// held by reference, not copied: they must outlive the router.
template <class Handle, class... Services>
http::handler bind_route(Handle handle, Services&... services) {
  return [handle, &services...](request& req) { return handle(req, services...); };
}

}  // namespace bakewind::app
