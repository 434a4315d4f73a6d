// Registers with the node through the installed C++ SDK, refreshes, unregisters.
#include <baton/appmonitor.hpp>

#include <iostream>

int main() {
  namespace mon = baton::appmonitor;
  try {
    auto handler = mon::register_app(60000, mon::AppMonitorAction::KILL);
    for (int i = 0; i < 3; ++i)
      handler.refresh();
    handler.unregister();
  } catch (const mon::AppMonitorError& e) {
    std::cerr << "consumer_cxx: " << e.what() << std::endl;
    return 3;
  }
  std::cout << "consumer_cxx: registered, refreshed, unregistered" << std::endl;
  return 0;
}
