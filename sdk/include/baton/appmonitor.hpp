// Baton application monitor SDK for C++.
//
// A program registers with the Baton node of its machine, then calls refresh() more often than its
// timeout. When a refresh is late, or the program exits without unregistering, the node carries out
// the action chosen at registration: KILL the program, RESTART it (kill it, then run the restart
// command as the program's own user) or REBOOT the machine.
//
//   auto h = baton::appmonitor::register_app(5000, baton::appmonitor::AppMonitorAction::KILL);
//   while (running) { h.refresh(); std::this_thread::sleep_for(1s); }
//   h.unregister();
//
// Endpoint: $BATON_APPMONITOR, else ipc:///run/baton/appmonitor.sock.
// Every call waits at most $BATON_APPMONITOR_TIMEOUT_MS (default 2000) for the node's answer and
// then throws AppMonitorError: it never hangs when no node runs. A refresh unanswered for a
// quarter of that is sent again on a new connection (the node may have been restarted after
// reading it); a registration never is.
// A handler is not thread-safe; use one per thread, or guard it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__GNUC__)
#define BATON_APPMONITOR_API __attribute__((visibility("default")))
#else
#define BATON_APPMONITOR_API
#endif

namespace baton::appmonitor {

inline constexpr const char* kDefaultEndpoint = "ipc:///run/baton/appmonitor.sock";
inline constexpr int kDefaultWaitMs = 2000;

enum class AppMonitorAction { KILL, RESTART, REBOOT };

// Every failure to talk to the node or every refusal by the node: daemon unreachable within the
// bounded wait, registration refused, unknown or expired registration.
class BATON_APPMONITOR_API AppMonitorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A live registration. Move-only. Destroying it does NOT unregister: a program that stops
// refreshing (or exits) without calling unregister() is caught by the node, which is the point.
class BATON_APPMONITOR_API AppMonitorHandler {
 public:
  AppMonitorHandler(AppMonitorHandler&&) noexcept;
  AppMonitorHandler& operator=(AppMonitorHandler&&) noexcept;
  AppMonitorHandler(const AppMonitorHandler&) = delete;
  AppMonitorHandler& operator=(const AppMonitorHandler&) = delete;
  ~AppMonitorHandler();

  // Tells the node the program is alive. Throws AppMonitorError when the node does not answer, or
  // no longer knows the registration (unregistered, or its action already ran).
  void refresh();
  // Ends monitoring. Throws AppMonitorError on failure; a second call throws too.
  void unregister();

  int timeout() const;  // milliseconds, as registered
  AppMonitorAction action() const;
  const std::string& restart_command() const;
  std::uint64_t id() const;  // the node's registration id
  bool registered() const;

 private:
  struct Impl;
  explicit AppMonitorHandler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend BATON_APPMONITOR_API AppMonitorHandler register_app(int, AppMonitorAction,
                                                             const std::string&);
  friend BATON_APPMONITOR_API void refresh_all(AppMonitorHandler* const*, std::size_t);
};

// Refreshes several registrations with one message and one answer, through the connection of the
// first: for a program that holds many (one per worker, say) and refreshes them together. Throws
// std::invalid_argument, before sending anything, for no handlers, more than 1024, or a null one;
// AppMonitorError when one is not registered, when the node does not answer, or when it no longer
// knows some of them (the message names their ids; the others were refreshed).
BATON_APPMONITOR_API void refresh_all(AppMonitorHandler* const* handlers, std::size_t count);
BATON_APPMONITOR_API void refresh_all(std::vector<AppMonitorHandler>& handlers);

// Registers the calling process. Throws std::invalid_argument before sending anything when
// timeout_ms <= 0 or when RESTART comes without a restart command; AppMonitorError when the node is
// unreachable or refuses (e.g. REBOOT on a node started without --allow-reboot).
BATON_APPMONITOR_API AppMonitorHandler register_app(int timeout_ms, AppMonitorAction action,
                                                    const std::string& restart_command = "");

}  // namespace baton::appmonitor
