// CURVE key pairs and the files that hold them. `baton keygen NAME` writes NAME.key (both keys,
// mode 0600: whoever reads it can act as NAME) and NAME.pub (the public key, to hand to the
// broker's authorized-keys file or to clients). Keys are Z85 text, 40 characters, as ZeroMQ's
// zmq_curve_keypair makes them.
//
//   # comment lines start with '#'
//   public-key  <40 characters>
//   secret-key  <40 characters>     (only in NAME.key)
#pragma once

#include <zmq.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace baton {

inline constexpr std::size_t kZ85KeyLength = 40;

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

// What a client socket needs to talk to a CURVE server: its own pair and the server's public key.
struct CurveClientKeys {
  CurveKeyPair own;
  std::string server_public_key;  // Z85
};

// A new random pair; an error when this libzmq was built without CURVE.
Expected<CurveKeyPair> generate_curve_key_pair();

// Whether `text` is a Z85 CURVE key (40 characters that decode to 32 bytes).
bool is_z85_key(std::string_view text);

// Writes `<base>.key` (mode 0600, refusing to overwrite) and `<base>.pub`.
Status write_curve_key_files(const std::string& base, std::string_view name,
                             const CurveKeyPair& keys);

// The pair in a .key file; the public key is derived from the secret one when the file names none
// and checked against it when it does.
Expected<CurveKeyPair> read_secret_key_file(const std::string& path);

// A public key given on a command line: the key itself (40 characters), or the path of a .pub or
// .key file holding it.
Expected<std::string> read_public_key(const std::string& key_or_path);

// A client's keys from its options: its own key file (--key) and the broker's public key
// (--broker-key, a key or a file). Neither given: nullopt (the broker takes anyone, which it does
// only on loopback and ipc://); only one of the two: an error that says what is missing.
Expected<std::optional<CurveClientKeys>> load_curve_client_keys(const std::string& key_file,
                                                                const std::string& broker_key);

// Makes `socket` a CURVE client of the server whose public key `keys` names. Before connect().
void apply_curve_client(zmq::socket_t& socket, const CurveClientKeys& keys);

}  // namespace baton
