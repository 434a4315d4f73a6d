// The C API (baton/appmonitor.h) over the C++ SDK. Every entry point catches everything: a C
// caller cannot handle a C++ exception, so each failure becomes a status and a message.
#include "baton/appmonitor.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "baton/appmonitor.hpp"
#include "common/proto/appmonitor.hpp"

namespace mon = baton::appmonitor;

struct baton_appmonitor_handler {
  mon::AppMonitorHandler handler;
};

namespace {

baton_appmonitor_status fail(baton_appmonitor_error* error, baton_appmonitor_status code,
                             const char* format, ...) __attribute__((format(printf, 3, 4)));

baton_appmonitor_status fail(baton_appmonitor_error* error, baton_appmonitor_status code,
                             const char* format, ...) {
  if (error != nullptr) {
    error->code = code;
    va_list args;
    va_start(args, format);
    std::vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
  }
  return code;
}

baton_appmonitor_status succeed(baton_appmonitor_error* error) {
  if (error != nullptr) {
    error->code = BATON_APPMONITOR_OK;
    error->message[0] = '\0';
  }
  return BATON_APPMONITOR_OK;
}

// Runs `call` and turns whatever it throws into a status; `what` names the call in messages that
// the C++ SDK did not already word.
template <class Call>
baton_appmonitor_status guarded(baton_appmonitor_error* error, const char* what, Call&& call) {
  try {
    call();
    return succeed(error);
  } catch (const std::invalid_argument& e) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT, "%s", e.what());
  } catch (const mon::AppMonitorError& e) {
    return fail(error, BATON_APPMONITOR_ERROR, "%s", e.what());
  } catch (const std::bad_alloc&) {
    return fail(error, BATON_APPMONITOR_NO_MEMORY, "cannot %s: out of memory", what);
  } catch (const std::exception& e) {
    // The socket layer's own errors, e.g. for a malformed $BATON_APPMONITOR: name the endpoint.
    const char* endpoint = std::getenv("BATON_APPMONITOR");
    return fail(error, BATON_APPMONITOR_ERROR, "cannot %s: %s (endpoint %s)", what, e.what(),
                endpoint != nullptr && *endpoint != '\0' ? endpoint : mon::kDefaultEndpoint);
  } catch (...) {
    return fail(error, BATON_APPMONITOR_ERROR, "cannot %s: unexpected failure", what);
  }
}

}  // namespace

extern "C" {

baton_appmonitor_status baton_appmonitor_register(int timeout_ms, int action,
                                                  const char* restart_command,
                                                  baton_appmonitor_handler** handler,
                                                  baton_appmonitor_error* error) {
  if (handler == nullptr) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                "baton_appmonitor_register: handler must not be NULL");
  }
  *handler = nullptr;
  mon::AppMonitorAction cpp_action;
  switch (action) {
    case BATON_APPMONITOR_KILL:
      cpp_action = mon::AppMonitorAction::KILL;
      break;
    case BATON_APPMONITOR_RESTART:
      cpp_action = mon::AppMonitorAction::RESTART;
      break;
    case BATON_APPMONITOR_REBOOT:
      cpp_action = mon::AppMonitorAction::REBOOT;
      break;
    default:
      return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                  "baton_appmonitor_register: unknown action %d", action);
  }
  // The C++ SDK leaves this bound to the node; checking it here keeps "invalid arguments fail
  // before anything is sent" true for every argument of this API.
  if (timeout_ms > baton::proto::appmonitor::kMaxTimeoutMs) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                "baton_appmonitor_register: timeout must be at most %lld ms (one week)",
                static_cast<long long>(baton::proto::appmonitor::kMaxTimeoutMs));
  }
  return guarded(error, "register", [&] {
    *handler = new baton_appmonitor_handler{
        mon::register_app(timeout_ms, cpp_action, restart_command ? restart_command : "")};
  });
}

baton_appmonitor_status baton_appmonitor_refresh(baton_appmonitor_handler* handler,
                                                 baton_appmonitor_error* error) {
  if (handler == nullptr) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                "baton_appmonitor_refresh: handler must not be NULL");
  }
  return guarded(error, "refresh", [&] { handler->handler.refresh(); });
}

baton_appmonitor_status baton_appmonitor_refresh_many(baton_appmonitor_handler* const* handlers,
                                                      size_t count, baton_appmonitor_error* error) {
  if (handlers == nullptr || count == 0) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                "baton_appmonitor_refresh_many: no handlers to refresh");
  }
  if (count > baton::proto::appmonitor::kMaxRefreshIds) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                "baton_appmonitor_refresh_many: at most %zu handlers at once, not %zu",
                baton::proto::appmonitor::kMaxRefreshIds, count);
  }
  return guarded(error, "refresh", [&] {
    std::vector<mon::AppMonitorHandler*> cpp;
    cpp.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (handlers[i] == nullptr) {
        throw std::invalid_argument("baton_appmonitor_refresh_many: handler " + std::to_string(i) +
                                    " is NULL");
      }
      cpp.push_back(&handlers[i]->handler);
    }
    mon::refresh_all(cpp.data(), cpp.size());
  });
}

baton_appmonitor_status baton_appmonitor_unregister(baton_appmonitor_handler* handler,
                                                    baton_appmonitor_error* error) {
  if (handler == nullptr) {
    return fail(error, BATON_APPMONITOR_INVALID_ARGUMENT,
                "baton_appmonitor_unregister: handler must not be NULL");
  }
  return guarded(error, "unregister", [&] { handler->handler.unregister(); });
}

void baton_appmonitor_free(baton_appmonitor_handler* handler) {
  delete handler;
}

int baton_appmonitor_get_timeout(const baton_appmonitor_handler* handler) {
  return handler->handler.timeout();
}

baton_appmonitor_action baton_appmonitor_get_action(const baton_appmonitor_handler* handler) {
  switch (handler->handler.action()) {
    case mon::AppMonitorAction::KILL:
      return BATON_APPMONITOR_KILL;
    case mon::AppMonitorAction::RESTART:
      return BATON_APPMONITOR_RESTART;
    case mon::AppMonitorAction::REBOOT:
      return BATON_APPMONITOR_REBOOT;
  }
  return BATON_APPMONITOR_KILL;  // unreachable: every AppMonitorAction is listed
}

const char* baton_appmonitor_get_restart_command(const baton_appmonitor_handler* handler) {
  return handler->handler.restart_command().c_str();
}

uint64_t baton_appmonitor_get_id(const baton_appmonitor_handler* handler) {
  return handler->handler.id();
}

int baton_appmonitor_is_registered(const baton_appmonitor_handler* handler) {
  return handler->handler.registered() ? 1 : 0;
}

const char* baton_appmonitor_status_name(int status) {
  switch (status) {
    case BATON_APPMONITOR_OK:
      return "ok";
    case BATON_APPMONITOR_INVALID_ARGUMENT:
      return "invalid argument";
    case BATON_APPMONITOR_ERROR:
      return "application monitor error";
    case BATON_APPMONITOR_NO_MEMORY:
      return "out of memory";
  }
  return "unknown status";
}

}  // extern "C"
