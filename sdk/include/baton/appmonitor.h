/* Baton application monitor SDK for C (C99 and later; also usable from C++).
 *
 * A program registers with the Baton node of its machine, then calls baton_appmonitor_refresh()
 * more often than its timeout. When a refresh is late, or the program exits without
 * unregistering, the node carries out the action chosen at registration: KILL the program,
 * RESTART it (kill it, then run the restart command as the program's own user) or REBOOT the
 * machine.
 *
 *   baton_appmonitor_error err;
 *   baton_appmonitor_handler* h = NULL;
 *   if (baton_appmonitor_register(5000, BATON_APPMONITOR_KILL, NULL, &h, &err) != 0) {
 *     fprintf(stderr, "%s\n", err.message);
 *     return 1;
 *   }
 *   while (running) { baton_appmonitor_refresh(h, &err); sleep(1); }
 *   baton_appmonitor_unregister(h, &err);
 *   baton_appmonitor_free(h);
 *
 * Every function that can fail returns a baton_appmonitor_status: 0 on success, else the kind of
 * failure, with a message in *error when error is not NULL. No function aborts the program or
 * lets a C++ exception through.
 *
 * Endpoint: $BATON_APPMONITOR, else ipc:///run/baton/appmonitor.sock. Every call waits at most
 * $BATON_APPMONITOR_TIMEOUT_MS (default 2000) for the node's answer, then fails with
 * BATON_APPMONITOR_ERROR: it never hangs when no node runs. A refresh unanswered for a quarter of
 * that is sent again on a new connection (the node may have been restarted after reading it); a
 * registration never is. $DIRIGENT_APPID is sent as the app's
 * id. A handler is not thread-safe; use one per thread, or guard it.
 */
#ifndef BATON_APPMONITOR_H
#define BATON_APPMONITOR_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BATON_APPMONITOR_C_API __attribute__((visibility("default")))
#else
#define BATON_APPMONITOR_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What the node does when a refresh is late or the program exits without unregistering. */
typedef enum baton_appmonitor_action {
  BATON_APPMONITOR_KILL = 0,    /* SIGTERM, then SIGKILL after the node's grace period */
  BATON_APPMONITOR_RESTART = 1, /* kill as above, then run the restart command */
  BATON_APPMONITOR_REBOOT = 2   /* run the node's reboot command (node started --allow-reboot) */
} baton_appmonitor_action;

typedef enum baton_appmonitor_status {
  BATON_APPMONITOR_OK = 0,
  /* An argument is invalid (timeout <= 0, RESTART without a command, unknown action, NULL
   * handler or out pointer, command too long); nothing was sent to the node. */
  BATON_APPMONITOR_INVALID_ARGUMENT = 1,
  /* The node is unreachable within the bounded wait, refused the request (e.g. REBOOT on a node
   * without --allow-reboot), or does not know the registration (unregistered, or its action
   * already ran); also an unusable $BATON_APPMONITOR_TIMEOUT_MS. */
  BATON_APPMONITOR_ERROR = 2,
  BATON_APPMONITOR_NO_MEMORY = 3
} baton_appmonitor_status;

/* Says why a call failed. The message is always NUL-terminated, cut to fit when longer. */
typedef struct baton_appmonitor_error {
  baton_appmonitor_status code;
  char message[512];
} baton_appmonitor_error;

/* A live registration; opaque. */
typedef struct baton_appmonitor_handler baton_appmonitor_handler;

/* Registers the calling process. action is one of baton_appmonitor_action (an int, so that any
 * value a C caller passes is checked rather than undefined). On success stores a new handler in
 * *handler (release it with baton_appmonitor_free); on failure leaves *handler NULL.
 * restart_command may be NULL unless action is BATON_APPMONITOR_RESTART. */
BATON_APPMONITOR_C_API baton_appmonitor_status
baton_appmonitor_register(int timeout_ms, int action, const char* restart_command,
                          baton_appmonitor_handler** handler, baton_appmonitor_error* error);

/* Tells the node the program is alive. Fails with BATON_APPMONITOR_ERROR when the node does not
 * answer, or no longer knows the registration. The handler stays usable after a failure. */
BATON_APPMONITOR_C_API baton_appmonitor_status
baton_appmonitor_refresh(baton_appmonitor_handler* handler, baton_appmonitor_error* error);

/* Refreshes count registrations with one message and one answer, through the connection of the
 * first: for a program that holds many and refreshes them together. Fails with
 * BATON_APPMONITOR_INVALID_ARGUMENT, before sending anything, when count is 0 or above 1024 or a
 * handler is NULL; with BATON_APPMONITOR_ERROR when one is not registered, when the node does not
 * answer, or when it no longer knows some of them (the message names their ids; the others were
 * refreshed). */
BATON_APPMONITOR_C_API baton_appmonitor_status baton_appmonitor_refresh_many(
    baton_appmonitor_handler* const* handlers, size_t count, baton_appmonitor_error* error);

/* Ends monitoring. A second call fails with BATON_APPMONITOR_ERROR. */
BATON_APPMONITOR_C_API baton_appmonitor_status
baton_appmonitor_unregister(baton_appmonitor_handler* handler, baton_appmonitor_error* error);

/* Releases the handler; NULL is allowed. Does NOT unregister: a program that exits or stops
 * refreshing without unregistering is caught by the node, which is the point of a watchdog. */
BATON_APPMONITOR_C_API void baton_appmonitor_free(baton_appmonitor_handler* handler);

/* The registration as made; the handler must not be NULL. The restart command is "" when none
 * was given and lives as long as the handler. */
BATON_APPMONITOR_C_API int baton_appmonitor_get_timeout(const baton_appmonitor_handler* handler);
BATON_APPMONITOR_C_API baton_appmonitor_action
baton_appmonitor_get_action(const baton_appmonitor_handler* handler);
BATON_APPMONITOR_C_API const char* baton_appmonitor_get_restart_command(
    const baton_appmonitor_handler* handler);
/* The node's registration id. */
BATON_APPMONITOR_C_API uint64_t baton_appmonitor_get_id(const baton_appmonitor_handler* handler);
/* 1 while registered, 0 once unregistered. */
BATON_APPMONITOR_C_API int baton_appmonitor_is_registered(const baton_appmonitor_handler* handler);

/* A fixed English name for a baton_appmonitor_status ("ok", "invalid argument", ...). */
BATON_APPMONITOR_C_API const char* baton_appmonitor_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif /* BATON_APPMONITOR_H */
