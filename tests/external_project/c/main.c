/* Registers with the node through the installed C API, refreshes, unregisters. */
#include <baton/appmonitor.h>
#include <stdio.h>

int main(void) {
  baton_appmonitor_error error;
  baton_appmonitor_handler* handler = NULL;
  int i;
  if (baton_appmonitor_register(60000, BATON_APPMONITOR_KILL, NULL, &handler, &error) != 0) {
    fprintf(stderr, "consumer_c: %s\n", error.message);
    return 3;
  }
  for (i = 0; i < 3; ++i) {
    if (baton_appmonitor_refresh(handler, &error) != 0) {
      fprintf(stderr, "consumer_c: %s\n", error.message);
      baton_appmonitor_free(handler);
      return 3;
    }
  }
  if (baton_appmonitor_unregister(handler, &error) != 0) {
    fprintf(stderr, "consumer_c: %s\n", error.message);
    baton_appmonitor_free(handler);
    return 3;
  }
  baton_appmonitor_free(handler);
  printf("consumer_c: registered, refreshed, unregistered\n");
  return 0;
}
