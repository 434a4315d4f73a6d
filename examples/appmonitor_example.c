/* baton-c-example: the application monitor from C (baton/appmonitor.h).
 *
 * Registers with the Baton node, refreshes every timeout/4 (or --every MS), and unregisters when
 * asked to stop (SIGTERM, SIGINT). The options show what the node does with a program that
 * misbehaves:
 *
 *   baton-c-example [--timeout MS] [--action kill|restart|reboot] [--restart-command CMD]
 *                   [--every MS] [--refreshes N] [--then unregister|hang|exit]
 *
 * --refreshes N stops after N refreshes and then unregisters (the default), hangs without
 * refreshing (the node acts when the timeout passes), or exits without unregistering (the node
 * acts at once). Exit codes: 0 done, 2 usage, 3 application monitor error, 4 invalid argument.
 */
#define _POSIX_C_SOURCE 200809L

#include <baton/appmonitor.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void sleep_ms(int ms) {
  struct timespec pause;
  pause.tv_sec = ms / 1000;
  pause.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&pause, NULL); /* a signal cuts it short, which is what stopping wants */
}

static int usage(const char* problem) {
  fprintf(stderr,
          "baton-c-example: %s\n"
          "usage: baton-c-example [--timeout MS] [--action kill|restart|reboot]\n"
          "                       [--restart-command CMD] [--every MS] [--refreshes N]\n"
          "                       [--then unregister|hang|exit]\n",
          problem);
  return 2;
}

/* The exit code for a failed call, after saying why. */
static int failed(const char* call, const baton_appmonitor_error* error) {
  fprintf(stderr, "baton-c-example: %s: %s (%s)\n", call, error->message,
          baton_appmonitor_status_name(error->code));
  return error->code == BATON_APPMONITOR_INVALID_ARGUMENT ? 4 : 3;
}

int main(int argc, char** argv) {
  int timeout_ms = 2000;
  int every_ms = 0; /* 0: timeout/4 */
  baton_appmonitor_action action = BATON_APPMONITOR_KILL;
  const char* restart_command = NULL;
  long refreshes = -1; /* -1: until a signal */
  const char* then = "unregister";
  baton_appmonitor_error error;
  baton_appmonitor_handler* handler = NULL;
  struct sigaction stop;
  int i;
  long done;

  /* Options and their values come in pairs. */
  for (i = 1; i < argc; i += 2) {
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (value == NULL) return usage("every option takes a value");
    if (strcmp(argv[i], "--timeout") == 0) {
      timeout_ms = atoi(value); /* a bad number shows as an invalid timeout */
    } else if (strcmp(argv[i], "--action") == 0) {
      if (strcmp(value, "kill") == 0) {
        action = BATON_APPMONITOR_KILL;
      } else if (strcmp(value, "restart") == 0) {
        action = BATON_APPMONITOR_RESTART;
      } else if (strcmp(value, "reboot") == 0) {
        action = BATON_APPMONITOR_REBOOT;
      } else {
        return usage("--action is kill, restart or reboot");
      }
    } else if (strcmp(argv[i], "--restart-command") == 0) {
      restart_command = value;
    } else if (strcmp(argv[i], "--every") == 0) {
      every_ms = atoi(value);
    } else if (strcmp(argv[i], "--refreshes") == 0) {
      refreshes = atol(value);
    } else if (strcmp(argv[i], "--then") == 0) {
      if (strcmp(value, "unregister") != 0 && strcmp(value, "hang") != 0 &&
          strcmp(value, "exit") != 0) {
        return usage("--then is unregister, hang or exit");
      }
      then = value;
    } else {
      return usage("unknown option");
    }
  }
  /* Output goes to files in tests: line by line, so that a reader sees each step at once. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (every_ms <= 0) every_ms = timeout_ms / 4 > 0 ? timeout_ms / 4 : 1;

  memset(&stop, 0, sizeof stop);
  stop.sa_handler = on_signal;
  sigaction(SIGTERM, &stop, NULL);
  sigaction(SIGINT, &stop, NULL);

  if (baton_appmonitor_register(timeout_ms, action, restart_command, &handler, &error) != 0) {
    return failed("register", &error);
  }
  printf("registered: id %016llx, timeout %d ms\n",
         (unsigned long long)baton_appmonitor_get_id(handler), timeout_ms);

  for (done = 0; !stop_requested && (refreshes < 0 || done < refreshes); ++done) {
    if (baton_appmonitor_refresh(handler, &error) != 0) {
      int code = failed("refresh", &error);
      baton_appmonitor_free(handler);
      return code;
    }
    printf("refreshed %ld\n", done + 1);
    sleep_ms(every_ms);
  }

  if (!stop_requested && strcmp(then, "exit") == 0) {
    printf("exiting without unregistering\n");
    baton_appmonitor_free(handler); /* frees memory only: the node still watches this process */
    return 0;
  }
  if (!stop_requested && strcmp(then, "hang") == 0) {
    /* A hung program answers no signal: the node's SIGTERM ends it, as it would end a real one. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    printf("hanging\n");
    for (;;)
      pause();
  }
  if (baton_appmonitor_unregister(handler, &error) != 0) {
    int code = failed("unregister", &error);
    baton_appmonitor_free(handler);
    return code;
  }
  printf("unregistered\n");
  baton_appmonitor_free(handler);
  return 0;
}
