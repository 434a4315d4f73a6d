#include "broker/zap_handler.hpp"

#include <spdlog/spdlog.h>
#include <zmq.h>

#include <array>

namespace baton::broker {

namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr std::size_t kMaxRemembered = 1000;

std::string as_string(const zmq::message_t& frame) {
  return std::string(static_cast<const char*>(frame.data()), frame.size());
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, EventLoop& loop, AuthorizedKeys keys)
    : socket_(context, zmq::socket_type::rep), loop_(loop), keys_(std::move(keys)) {}

ZapHandler::~ZapHandler() {
  if (watch_ != 0) loop_.unwatch(watch_);
}

Status ZapHandler::start() {
  socket_.set(zmq::sockopt::linger, 0);
  try {
    socket_.bind(kZapEndpoint);
  } catch (const zmq::error_t& e) {
    return Error{std::string("cannot bind the ZAP handler at ") + kZapEndpoint + ": " + e.what()};
  }
  watch_ = loop_.watch_socket(socket_, [this] { on_readable(); });
  return ok_status();
}

void ZapHandler::on_readable() {
  for (int budget = 0; budget < 256; ++budget) {
    std::vector<zmq::message_t> request;
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return;
    request.push_back(std::move(frame));
    while (request.back().more()) {
      zmq::message_t next;
      (void)socket_.recv(next, zmq::recv_flags::dontwait);
      request.push_back(std::move(next));
    }
    answer(request);
  }
}

// Request: version, request id, domain, address, routing id, mechanism, credentials (CURVE: the
// client's 32-byte public key). Reply: version, request id, status code, text, user id, metadata.
void ZapHandler::answer(const std::vector<zmq::message_t>& request) {
  std::string request_id, code = "400", text = "malformed ZAP request", user_id;
  if (request.size() >= 6) {
    request_id = as_string(request[1]);
    const std::string address = as_string(request[3]);
    const std::string mechanism = as_string(request[5]);
    if (mechanism != "CURVE" || request.size() != 7 || request[6].size() != 32) {
      text = "only CURVE clients are accepted";
    } else {
      std::array<char, 41> z85{};
      zmq_z85_encode(z85.data(), static_cast<const std::uint8_t*>(request[6].data()), 32);
      const std::string key = z85.data();
      if (auto peer = keys_.find(key)) {
        code = "200";
        text = "OK";
        user_id = user_id_of(*peer);
        spdlog::debug("authenticated {} from {}", describe(*peer), address);
      } else {
        text = "unknown key";
        log_refusal(key, address);
      }
    }
  }
  const std::array<std::string, 6> reply = {"1.0", request_id, code, text, user_id, ""};
  for (std::size_t i = 0; i < reply.size(); ++i) {
    (void)socket_.send(zmq::buffer(reply[i]),
                       i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

void ZapHandler::log_refusal(const std::string& key, const std::string& address) {
  const auto now = SteadyClock::now();
  auto it = last_logged_.find(key);
  if (it != last_logged_.end() && now - it->second < std::chrono::minutes(1)) return;
  if (last_logged_.size() >= kMaxRemembered) last_logged_.clear();
  last_logged_[key] = now;
  spdlog::warn("refused a connection from {}: its public key {} is not in the authorized keys",
               address.empty() ? "a local peer" : address, key);
}

}  // namespace baton::broker
