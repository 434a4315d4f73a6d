/* The footprint benchmark's baseline: the least a daemon built on this machine's libzmq costs
 * while it idles. It does what an idle baton-node must do and nothing more: it waits in
 * zmq_poll, and once a second it publishes one message of the size of a node's presence over
 * TCP to ENDPOINT (the benchmark's own SUB, on loopback). Its RSS is that of libzmq and the
 * libraries it loads, its CPU that of one wake-up and one send a second.
 *
 * Usage: bare_zmq_daemon ENDPOINT. It runs until a signal ends it. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

enum { kPresenceBytes = 84, kIntervalMs = 1000 };

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s ENDPOINT\n", argv[0]);
    return 2;
  }
  void* context = zmq_ctx_new();
  void* publisher = context ? zmq_socket(context, ZMQ_PUB) : NULL;
  if (!publisher || zmq_connect(publisher, argv[1]) != 0) {
    fprintf(stderr, "%s: cannot publish to %s: %s\n", argv[0], argv[1], zmq_strerror(zmq_errno()));
    return 1;
  }
  char presence[kPresenceBytes];
  memset(presence, 'p', sizeof presence);
  for (;;) {
    /* A PUB socket never polls readable: this is the daemon's wait for its next timer. */
    zmq_pollitem_t item = {publisher, 0, ZMQ_POLLIN, 0};
    zmq_poll(&item, 1, kIntervalMs);
    zmq_send(publisher, presence, sizeof presence, ZMQ_DONTWAIT);
  }
}
