#include "common/net/curve_keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace baton {

namespace {

struct KeyFile {
  std::optional<std::string> public_key;
  std::optional<std::string> secret_key;
};

// Z85 uses '#' and '=' among its 85 characters: only a line that starts with '#' is a comment,
// and a key is the second word of its line.
Expected<KeyFile> parse_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read the key file " + path + ": " + std::strerror(errno)};
  KeyFile file;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string name, key, extra;
    if (!(words >> name) || name.starts_with('#')) continue;
    words >> key >> extra;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    if (name != "public-key" && name != "secret-key") {
      return Error{where + "expected 'public-key KEY' or 'secret-key KEY', found '" +
                   name.substr(0, 32) + "'"};
    }
    if (!is_z85_key(key) || !extra.empty()) {
      return Error{where + name + " must be followed by one key of " +
                   std::to_string(kZ85KeyLength) + " Z85 characters (as baton keygen writes it)"};
    }
    (name == "public-key" ? file.public_key : file.secret_key) = key;
  }
  if (in.bad()) return Error{"cannot read the key file " + path + ": " + std::strerror(errno)};
  return file;
}

Status write_whole_file(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Error{errno == EEXIST ? path + " exists already; remove it first to make a new key"
                                 : "cannot create " + path + ": " + std::strerror(errno)};
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int write_errno = errno;
  ::close(fd);
  if (!written) return Error{"cannot write " + path + ": " + std::strerror(write_errno)};
  return ok_status();
}

}  // namespace

Expected<CurveKeyPair> generate_curve_key_pair() {
  std::array<char, kZ85KeyLength + 1> public_key{}, secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    return Error{std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()) +
                 " (libzmq without CURVE support?)"};
  }
  return CurveKeyPair{public_key.data(), secret_key.data()};
}

bool is_z85_key(std::string_view text) {
  if (text.size() != kZ85KeyLength) return false;
  const std::string terminated(text);
  std::array<std::uint8_t, 32> binary{};
  return zmq_z85_decode(binary.data(), terminated.c_str()) != nullptr;
}

Status write_curve_key_files(const std::string& base, std::string_view name,
                             const CurveKeyPair& keys) {
  const std::string quoted = "\"" + std::string(name) + "\"";
  const std::string public_line = "public-key  " + keys.public_key + "\n";
  if (auto secret = write_whole_file(base + ".key",
                                     "# Baton CURVE key pair " + quoted +
                                         " (baton keygen). Keep it secret: whoever can\n"
                                         "# read this file can act as " +
                                         quoted + " on the bus.\n" + public_line + "secret-key  " +
                                         keys.secret_key + "\n",
                                     0600);
      !secret) {
    return secret;
  }
  return write_whole_file(base + ".pub",
                          "# Baton CURVE public key " + quoted + " (baton keygen)\n" + public_line,
                          0644);
}

Expected<CurveKeyPair> read_secret_key_file(const std::string& path) {
  auto file = parse_key_file(path);
  if (!file) return file.error();
  if (!file->secret_key) {
    return Error{path +
                 " holds no secret-key: give the NAME.key file that baton keygen wrote, "
                 "not NAME.pub"};
  }
  std::array<char, kZ85KeyLength + 1> derived{};
  if (zmq_curve_public(derived.data(), file->secret_key->c_str()) != 0) {
    return Error{path + ": cannot derive the public key: " + zmq_strerror(zmq_errno())};
  }
  if (file->public_key && *file->public_key != derived.data()) {
    return Error{path + ": its public-key does not belong to its secret-key"};
  }
  return CurveKeyPair{derived.data(), *file->secret_key};
}

Expected<std::string> read_public_key(const std::string& key_or_path) {
  if (is_z85_key(key_or_path) && ::access(key_or_path.c_str(), F_OK) != 0) return key_or_path;
  auto file = parse_key_file(key_or_path);
  if (!file) return file.error();
  if (file->public_key) return *file->public_key;
  if (file->secret_key) {
    auto pair = read_secret_key_file(key_or_path);
    if (!pair) return pair.error();
    return pair->public_key;
  }
  return Error{key_or_path + " holds no public-key line"};
}

Expected<std::optional<CurveClientKeys>> load_curve_client_keys(const std::string& key_file,
                                                                const std::string& broker_key) {
  if (key_file.empty() && broker_key.empty()) return std::optional<CurveClientKeys>();
  if (key_file.empty() || broker_key.empty()) {
    return Error{key_file.empty()
                     ? "--broker-key needs --key too: this side's own key file (baton keygen)"
                     : "--key needs --broker-key too: the broker's public key, or its .pub file"};
  }
  auto own = read_secret_key_file(key_file);
  if (!own) return own.error();
  auto server = read_public_key(broker_key);
  if (!server) return server.error();
  return std::optional<CurveClientKeys>(CurveClientKeys{*own, *server});
}

void apply_curve_client(zmq::socket_t& socket, const CurveClientKeys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.own.secret_key);
}

}  // namespace baton
