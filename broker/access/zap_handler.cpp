#include "broker/access/zap_handler.hpp"

#include <spdlog/spdlog.h>
#include <zmq.h>

#include <array>
#include <cstdint>
#include <string_view>

namespace baton::broker {

namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr std::size_t kMaxRemembered = 1000;
// The connection property (ZAP metadata) that carries the peer's public key, in Z85.
constexpr const char kKeyProperty[] = "Baton-Key";

std::string as_string(const zmq::message_t& frame) {
  return std::string(static_cast<const char*>(frame.data()), frame.size());
}

// ZAP metadata (ZMTP 3.0 properties): a name of 1-255 bytes after its length byte, then the value
// after its length in four bytes, network order.
std::string metadata_property(std::string_view name, std::string_view value) {
  std::string out;
  out.push_back(static_cast<char>(name.size()));
  out.append(name);
  const auto size = static_cast<std::uint32_t>(value.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((size >> shift) & 0xff));
  out.append(value);
  return out;
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, EventLoop& loop, AuthorizedKeys keys)
    : socket_(context, zmq::socket_type::rep), loop_(loop), keys_(std::move(keys)) {}

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
  std::string request_id, code = "400", text = "malformed ZAP request", user_id, metadata;
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
        metadata = metadata_property(kKeyProperty, key);
        spdlog::debug("authenticated {} from {}", describe(*peer), address);
      } else {
        text = "unknown key";
        log_refusal(key, address);
      }
    }
  }
  const std::array<std::string, 6> reply = {"1.0", request_id, code, text, user_id, metadata};
  for (std::size_t i = 0; i < reply.size(); ++i) {
    (void)socket_.send(zmq::buffer(reply[i]),
                       i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

std::optional<Peer> ZapHandler::peer_of(const zmq::message_t& message) {
  // Set for every connection this handler accepted; a message without them did not come
  // through it.
  const char* user_id = zmq_msg_gets(message.handle(), "User-Id");
  const char* key = zmq_msg_gets(message.handle(), kKeyProperty);
  if (user_id == nullptr || key == nullptr) return std::nullopt;
  auto accepted = parse_user_id(user_id);
  if (!accepted) return std::nullopt;
  if (keys_.find(key) != accepted) {
    log_revoked(key, *accepted);
    return std::nullopt;
  }
  return accepted;
}

bool ZapHandler::may_log(const std::string& key) {
  const auto now = SteadyClock::now();
  auto it = last_logged_.find(key);
  if (it != last_logged_.end() && now - it->second < std::chrono::minutes(1)) return false;
  if (last_logged_.size() >= kMaxRemembered) last_logged_.clear();
  last_logged_[key] = now;
  return true;
}

void ZapHandler::log_revoked(const std::string& key, const Peer& peer) {
  if (!may_log(key)) return;
  spdlog::warn(
      "ignored a message from {}: since a reload the authorized keys no longer give its "
      "public key {} that role and name (the connection stays open until the peer "
      "closes it; nothing it sends is taken)",
      describe(peer), key);
}

void ZapHandler::log_refusal(const std::string& key, const std::string& address) {
  if (!may_log(key)) return;
  spdlog::warn("refused a connection from {}: its public key {} is not in the authorized keys",
               address.empty() ? "a local peer" : address, key);
}

}  // namespace baton::broker
